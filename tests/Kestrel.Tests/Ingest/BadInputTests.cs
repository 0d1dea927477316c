using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Ingest;

/// <summary>Every bad input gets its documented status and a JSON error, and stores nothing.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private KestrelServer server = null!;
    private TestProject project = null!;

    public async Task InitializeAsync()
    {
        server = await KestrelServer.StartAsync();
        project = await server.CreateProjectAsync();
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    private async Task AssertRefused(HttpResponseMessage response, HttpStatusCode status, string errorContains)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
        Assert.Contains(errorContains, error, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await project.IssuesAsync());
        Assert.Equal(0L, StoredEvents());
    }

    private long StoredEvents()
    {
        using var connection = server.OpenDatabase();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM events";
        return (long)command.ExecuteScalar()!;
    }

    private Task<HttpResponseMessage> Post(HttpContent content, string? token = null) =>
        project.SendAsync(HttpMethod.Post, "/api/events", content, token);

    private static ByteArrayContent Bytes(byte[] bytes, string? encoding = null)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (encoding is not null) content.Headers.ContentEncoding.Add(encoding);
        return content;
    }

    [Fact]
    public async Task No_token_is_401()
    {
        using var response = await server.Http.PostAsync("/api/events", new StringContent(Events.Message("x")));
        await AssertRefused(response, HttpStatusCode.Unauthorized, "Bearer");
    }

    [Fact]
    public async Task A_wrong_token_is_401() =>
        await AssertRefused(await project.PostEventAsync(Events.Message("x"), token: "kst_" + new string('A', 43)), HttpStatusCode.Unauthorized, "not valid");

    [Fact]
    public async Task Malformed_json_is_400() =>
        await AssertRefused(await project.PostEventAsync("{\"message\": \"unterminated"), HttpStatusCode.BadRequest, "not valid JSON");

    [Fact]
    public async Task An_empty_body_is_400() =>
        await AssertRefused(await project.PostEventAsync(""), HttpStatusCode.BadRequest, "empty");

    [Fact]
    public async Task A_2_MiB_event_is_413()
    {
        var big = JsonSerializer.Serialize(new { message = "big", extra = new { blob = new string('x', 2 * 1024 * 1024) } });
        await AssertRefused(await project.PostEventAsync(big), HttpStatusCode.RequestEntityTooLarge, "larger than 1 MiB");
    }

    [Fact]
    public async Task A_gzip_bomb_is_413_without_inflating_it()
    {
        // 1 GB of zeros compresses to about 1 MB; the server must stop at its 20 MiB limit.
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (var i = 0; i < 1024; i++) gzip.Write(zeros);
        }
        await AssertRefused(await Post(Bytes(compressed.ToArray(), "gzip")), HttpStatusCode.RequestEntityTooLarge, "MiB");
    }

    [Fact]
    public async Task Json_nested_10000_deep_is_400()
    {
        var deep = "{\"message\":\"deep\",\"extra\":" + new string('[', 10_000) + new string(']', 10_000) + "}";
        await AssertRefused(await project.PostEventAsync(deep), HttpStatusCode.BadRequest, "nested deeper than 64");
    }

    [Fact]
    public async Task An_array_of_101_events_is_413()
    {
        var events = "[" + string.Join(',', Enumerable.Repeat(Events.Message("one of many"), 101)) + "]";
        await AssertRefused(await project.PostEventAsync(events), HttpStatusCode.RequestEntityTooLarge, "at most 100");
    }

    [Theory]
    [InlineData("42")]
    [InlineData("\"a string\"")]
    [InlineData("null")]
    [InlineData("[{\"message\":\"ok\"}, 7]")]
    public async Task A_non_object_event_is_400_and_nothing_of_the_request_is_stored(string body) =>
        await AssertRefused(await project.PostEventAsync(body), HttpStatusCode.BadRequest, "JSON object");

    [Fact]
    public async Task Corrupt_gzip_is_400() =>
        await AssertRefused(await Post(Bytes(Encoding.UTF8.GetBytes("not gzip at all"), "gzip")), HttpStatusCode.BadRequest, "not valid gzip");

    [Fact]
    public async Task An_unknown_content_encoding_is_400() =>
        await AssertRefused(await Post(Bytes(Encoding.UTF8.GetBytes(Events.Message("x")), "compress")), HttpStatusCode.BadRequest, "not supported");

    [Theory]
    [InlineData("{\"message\":\"\\udc00 hi\"}")]
    [InlineData("{\"\\ud800\":1}")]
    [InlineData("{\"event_id\":\"\\ud800\"}")]
    [InlineData("{\"message\":\"x\",\"extra\":{\"a\":\"\\uD800\"}}")]
    [InlineData("[{\"message\":\"fine\"},{\"message\":\"x\",\"tags\":{\"k\":\"\\ude00\\ud83d\"}}]")]
    public async Task Half_a_surrogate_pair_is_400(string body) =>
        await AssertRefused(await project.PostEventAsync(body), HttpStatusCode.BadRequest, "surrogate");

    [Fact]
    public async Task Unknown_paths_and_methods_answer_json_errors()
    {
        using var missing = await project.SendAsync(HttpMethod.Get, "/api/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("/api/nothing-here", JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());

        using var wrongMethod = await project.SendAsync(HttpMethod.Delete, "/api/events");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Contains("DELETE", JsonDocument.Parse(await wrongMethod.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }
}
