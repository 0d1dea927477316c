using System.IO.Compression;
using Microsoft.AspNetCore.Http;

namespace Kestrel.Ingest;

/// <summary>A body read into a buffer from <see cref="BodyBuffers"/>; give it back with <see cref="Dispose"/>.</summary>
public sealed class PooledBody(BodyBuffers buffers, byte[] buffer, int length, ClientShare? client = null) : IDisposable
{
    private int disposed;
    public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, length);
    public int Length => length;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        client?.Release(buffer.Length);
        buffers.Return(buffer);
    }
}

/// <summary>Why a body was refused, as an HTTP status, a metrics reason, one sentence and, when
/// sending again later may work, the seconds to wait (the <c>Retry-After</c> header).</summary>
public sealed record Rejection(int Status, string Reason, string Message, int? RetryAfterSeconds = null);

/// <summary>
/// Reads a request body, decompressing gzip, deflate (zlib), br or zstd, and counting decompressed bytes as
/// they arrive so a compression bomb is stopped at the limit instead of filling memory. Buffers come from
/// the budget of all requests (<see cref="BodyBuffers"/>, else 503) and from the client's share of it
/// (<see cref="ClientShare"/>, else 429). The whole body must arrive before the deadline (else 408), so a
/// client trickling bytes just fast enough for the server's minimum data rate cannot hold a buffer forever.
/// A body can be read in two steps: its first line (an envelope's header, to authenticate), then the rest.
/// </summary>
public sealed class RequestBodyReader : IAsyncDisposable
{
    private readonly HttpRequest request;
    private readonly BodyBuffers buffers;
    private readonly ClientShare? client;
    private readonly Stream? decompressor;
    private readonly string encoding;
    private readonly CancellationTokenSource deadline;
    private readonly TimeSpan timeout;
    private byte[]? buffer;
    private int length;
    private bool ended;

    private RequestBodyReader(HttpRequest request, BodyBuffers buffers, ClientShare? client, Stream? decompressor, string encoding, TimeSpan timeout)
    {
        this.request = request;
        this.buffers = buffers;
        this.client = client;
        this.decompressor = decompressor;
        this.encoding = encoding;
        this.timeout = timeout;
        deadline = new CancellationTokenSource(timeout);
    }

    /// <summary>A reader for the request's body; refused when the encoding is unknown.</summary>
    public static (RequestBodyReader? Reader, Rejection? Rejection) Open(HttpRequest request, BodyBuffers buffers, ClientShare? client, TimeSpan timeout)
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
        return (new RequestBodyReader(request, buffers, client, decompressor, encoding, timeout), null);
    }

    /// <summary>Reads a whole body with no client share and no deadline of its own (tests, tools).</summary>
    public static async Task<(PooledBody? Body, Rejection? Rejection)> ReadAsync(HttpRequest request, BodyBuffers buffers, int maxBytes, CancellationToken cancellationToken)
    {
        var (reader, rejection) = Open(request, buffers, null, Timeout.InfiniteTimeSpan);
        if (reader is null) return (null, rejection);
        await using (reader) return await reader.ReadToEndAsync(maxBytes, cancellationToken);
    }

    /// <summary>The bytes read so far.</summary>
    public ReadOnlySpan<byte> Read => buffer is null ? [] : buffer.AsSpan(0, length);

    /// <summary>Reads until what was read holds a newline, <paramref name="maxBytes"/> were read, or the body ended.</summary>
    public Task<Rejection?> ReadFirstLineAsync(int maxBytes, CancellationToken cancellationToken) => FillAsync(maxBytes, untilNewline: true, cancellationToken);

    /// <summary>Reads the rest of the body; the body returned owns the buffer from now on.</summary>
    public async Task<(PooledBody? Body, Rejection? Rejection)> ReadToEndAsync(int maxBytes, CancellationToken cancellationToken)
    {
        if (await FillAsync(maxBytes, untilNewline: false, cancellationToken) is { } rejection) return (null, rejection);
        if (length > maxBytes) return (null, TooLarge(maxBytes));
        var body = new PooledBody(buffers, buffer!, length, client);
        buffer = null;
        return (body, null);
    }

    private async Task<Rejection?> FillAsync(int maxBytes, bool untilNewline, CancellationToken cancellationToken)
    {
        if (buffer is null && Rent(request.ContentLength is > 0 and < 1 << 20 && decompressor is null ? (int)request.ContentLength : 16 * 1024) is { } refused)
            return refused;
        // The caller's token (the request's abort) cancels the deadline's source rather than both being linked into a third
        // source for every read: one object and one registration fewer per request. Once the caller's token is cancelled the
        // deadline's is too, as a linked source would be; the catches below tell the two apart by the caller's token.
        using var aborts = cancellationToken.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), deadline);
        var stream = decompressor ?? request.Body;
        var scanned = 0;
        try
        {
            while (!ended && length <= maxBytes)
            {
                if (untilNewline && buffer.AsSpan(scanned, length - scanned).Contains((byte)'\n')) return null;
                scanned = length;
                if (length == buffer!.Length && Grow(Math.Min(buffer.Length * 2, maxBytes + 1)) is { } refusedMore) return refusedMore;
                var read = await stream.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, maxBytes + 1) - length), deadline.Token);
                if (read == 0) ended = true;
                length += read;
            }
            return null;
        }
        catch (Exception e) when (decompressor is not null && IsBadData(e, decompressor))
        {
            return new Rejection(400, "bad_compression", $"The body is not valid {encoding} data.");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(maxBytes);
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException || e is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            // The client stopped sending before the body it announced was complete, closed or reset the
            // connection (which aborts the request), or sent too slowly: its fault, so a 400 (if it can
            // still be answered), counted, and no stack trace in the log.
            return Incomplete;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            request.HttpContext.Response.Headers.Connection = "close"; // the rest of the body is not worth waiting for
            return new Rejection(408, "body_timeout", $"The body did not arrive within {timeout.TotalSeconds:0} s.");
        }
    }

    private Rejection? Rent(int size)
    {
        if (buffers.TryRent(size) is not { } rented) return Busy;
        if (client is not null && !client.TryHold(rented.Length))
        {
            buffers.Return(rented);
            return ClientBusy;
        }
        buffer = rented;
        return null;
    }

    private Rejection? Grow(int size)
    {
        var old = buffer!;
        if (Rent(size) is { } refused) return refused;
        old.AsSpan(0, length).CopyTo(buffer);
        Give(old);
        return null;
    }

    private void Give(byte[] given)
    {
        client?.Release(given.Length);
        buffers.Return(given);
    }

    public async ValueTask DisposeAsync()
    {
        if (buffer is not null) Give(buffer);
        buffer = null;
        if (decompressor is not null) await decompressor.DisposeAsync();
        deadline.Dispose();
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

    private static readonly Rejection ClientBusy =
        new(429, "client_busy", "This client address holds its whole share of the server's body buffers; retry shortly.", RetryAfterSeconds: 2);

    private static readonly Rejection Incomplete =
        new(400, "incomplete_body", "The body ended before the length it announced, or the client stopped sending it.");

    private static Rejection TooLarge(int maxBytes) =>
        new(413, "too_large", $"The body is larger than {maxBytes / (1024 * 1024)} MiB after decompression.");
}
