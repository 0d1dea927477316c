using System.IO.Compression;
using Microsoft.AspNetCore.Http;

namespace Kestrel.Ingest;

/// <summary>A body read into a buffer from <see cref="BodyBuffers"/>; give it back with <see cref="Dispose"/>.</summary>
public sealed class PooledBody(BodyBuffers buffers, byte[] buffer, int length) : IDisposable
{
    public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, length);
    public int Length => length;
    public void Dispose() => buffers.Return(buffer);
}

/// <summary>Why a body was refused, as an HTTP status, a metrics reason, one sentence and, when
/// sending again later may work, the seconds to wait (the <c>Retry-After</c> header).</summary>
public sealed record Rejection(int Status, string Reason, string Message, int? RetryAfterSeconds = null);

/// <summary>
/// Reads a request body, decompressing gzip, deflate (zlib), br or zstd, and counting decompressed bytes as
/// they arrive so a compression bomb is stopped at the limit instead of filling memory.
/// </summary>
public static class RequestBodyReader
{
    public static async Task<(PooledBody? Body, Rejection? Rejection)> ReadAsync(HttpRequest request, BodyBuffers buffers, int maxBytes, CancellationToken cancellationToken)
    {
        var encoding = request.Headers.ContentEncoding.ToString().Trim().ToLowerInvariant();
        Stream source = request.Body;
        Stream? decompressor = encoding switch
        {
            "" or "identity" or "utf-8" => null, // old SDKs send "UTF-8" meaning "not compressed"
            "gzip" or "x-gzip" => new GZipStream(source, CompressionMode.Decompress, leaveOpen: true),
            "deflate" => new ZLibStream(source, CompressionMode.Decompress, leaveOpen: true),
            "br" => new BrotliStream(source, CompressionMode.Decompress, leaveOpen: true),
            "zstd" => new ZstdSharp.DecompressionStream(source, leaveOpen: true),
            _ => Stream.Null,
        };
        if (decompressor == Stream.Null)
            return (null, new Rejection(400, "unsupported_encoding", $"Content-Encoding '{encoding}' is not supported; use gzip, deflate, br or zstd."));

        var buffer = buffers.TryRent(request.ContentLength is > 0 and < 1 << 20 && decompressor is null ? (int)request.ContentLength : 16 * 1024);
        if (buffer is null)
        {
            if (decompressor is not null) await decompressor.DisposeAsync();
            return (null, Busy);
        }
        var length = 0;
        try
        {
            await using (decompressor)
            {
                var stream = decompressor ?? source;
                while (true)
                {
                    if (length == buffer.Length)
                    {
                        if (length >= maxBytes + 1) break;
                        var bigger = buffers.TryRent(Math.Min(buffer.Length * 2, maxBytes + 1));
                        if (bigger is null)
                        {
                            buffers.Return(buffer);
                            return (null, Busy);
                        }
                        buffer.AsSpan(0, length).CopyTo(bigger);
                        buffers.Return(buffer);
                        buffer = bigger;
                    }
                    var read = await stream.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, maxBytes + 1) - length), cancellationToken);
                    if (read == 0) break;
                    length += read;
                    if (length > maxBytes) break;
                }
            }
        }
        catch (Exception e) when (decompressor is not null && IsBadData(e, decompressor))
        {
            buffers.Return(buffer);
            return (null, new Rejection(400, "bad_compression", $"The body is not valid {encoding} data."));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            buffers.Return(buffer);
            return (null, TooLarge(maxBytes));
        }
        catch
        {
            buffers.Return(buffer);
            throw;
        }

        if (length > maxBytes)
        {
            buffers.Return(buffer);
            return (null, TooLarge(maxBytes));
        }
        return (new PooledBody(buffers, buffer, length), null);
    }

    /// <summary>How each decompressor says its input is not its format: a client error (400), not a server one.</summary>
    private static bool IsBadData(Exception e, Stream decompressor) => e switch
    {
        InvalidDataException => true,                                     // gzip, deflate
        InvalidOperationException => decompressor is BrotliStream,        // "Decoder ran into invalid data"
        ZstdSharp.ZstdException or EndOfStreamException => decompressor is ZstdSharp.DecompressionStream, // corrupt or truncated frame
        _ => false,
    };

    private static readonly Rejection Busy =
        new(503, "busy", "The server is receiving too much data at once; retry shortly.", RetryAfterSeconds: 2);

    private static Rejection TooLarge(int maxBytes) =>
        new(413, "too_large", $"The body is larger than {maxBytes / (1024 * 1024)} MiB after decompression.");
}
