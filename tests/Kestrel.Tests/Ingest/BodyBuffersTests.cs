using System.IO.Compression;
using Kestrel.Ingest;
using Microsoft.AspNetCore.Http;

namespace Kestrel.Tests.Ingest;

public sealed class BodyBuffersTests
{
    [Fact]
    public void Buffers_past_the_budget_are_refused_until_some_come_back()
    {
        var buffers = new BodyBuffers(3 * 1024 * 1024);
        var first = buffers.TryRent(2 * 1024 * 1024)!;
        Assert.Null(buffers.TryRent(2 * 1024 * 1024));
        Assert.Equal(first.Length, buffers.InUse);
        buffers.Return(first);
        Assert.Equal(0, buffers.InUse);
        Assert.NotNull(buffers.TryRent(2 * 1024 * 1024));
    }

    [Fact]
    public async Task A_body_that_inflates_past_the_budget_is_503_and_gives_every_buffer_back()
    {
        var buffers = new BodyBuffers(256 * 1024);
        var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
            gzip.Write(new byte[1024 * 1024]);
        var context = new DefaultHttpContext();
        context.Request.Headers.ContentEncoding = "gzip";
        context.Request.Body = new MemoryStream(compressed.ToArray());

        var (body, rejection) = await RequestBodyReader.ReadAsync(context.Request, buffers, IngestLimits.MaxBodyBytes, CancellationToken.None);

        Assert.Null(body);
        Assert.Equal(503, rejection!.Status);
        Assert.Equal(0, buffers.InUse);
    }

    [Fact]
    public async Task A_body_within_the_budget_is_read_whole_and_its_buffer_comes_back_on_dispose()
    {
        var buffers = new BodyBuffers(8 * 1024 * 1024);
        var json = new byte[3 * 1024 * 1024];
        Array.Fill(json, (byte)' ');
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(json);

        var (body, rejection) = await RequestBodyReader.ReadAsync(context.Request, buffers, IngestLimits.MaxBodyBytes, CancellationToken.None);

        Assert.Null(rejection);
        Assert.Equal(json.Length, body!.Length);
        Assert.True(buffers.InUse >= json.Length);
        body.Dispose();
        Assert.Equal(0, buffers.InUse);
    }
}
