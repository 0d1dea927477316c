using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Ingest;

/// <summary>What /api/events accepts: compressed bodies, arrays, public keys, and every lenient shape of Sentry's format.</summary>
public sealed class IngestFormatTests
{
    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public async Task Compressed_bodies_are_accepted(string encoding)
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var raw = Encoding.UTF8.GetBytes(Events.Exception("CompressedError", "via " + encoding));
        using var buffer = new MemoryStream();
        using (Stream compressor = encoding switch
        {
            "gzip" => new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true),
            "deflate" => new ZLibStream(buffer, CompressionLevel.Fastest, leaveOpen: true),
            _ => new BrotliStream(buffer, CompressionLevel.Fastest, leaveOpen: true),
        }) compressor.Write(raw);
        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentEncoding.Add(encoding);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await project.SendAsync(HttpMethod.Post, "/api/events", content);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.Equal("CompressedError: via " + encoding, Assert.Single(await project.IssuesAsync()).GetProperty("title").GetString());
    }

    [Fact]
    public async Task An_array_is_stored_whole_and_answers_every_id_and_the_public_key_may_send()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var body = "[" + string.Join(',', Enumerable.Range(0, 100).Select(i => Events.Exception("BatchError", "n", function: "f" + i % 3))) + "]";

        using var response = await project.PostEventAsync(body, token: project.PublicKey);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(100, json.GetProperty("ids").GetArrayLength());
        var issues = await project.IssuesAsync();
        Assert.Equal(3, issues.Length);
        Assert.Equal(100, issues.Sum(i => i.GetProperty("eventCount").GetInt64()));
    }

    [Fact]
    public async Task The_public_key_cannot_read_issues_it_is_403()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        using var response = await project.SendAsync(HttpMethod.Get, "/api/issues", token: project.PublicKey);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("public key", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());

        using var unknownKey = await project.SendAsync(HttpMethod.Get, "/api/issues", token: new string('a', 32));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, unknownKey.StatusCode);
    }

    [Fact]
    public async Task Lenient_shapes_are_read_and_stored_in_one_canonical_shape()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        // message as an object, exception as a bare list, tags as pairs, timestamp as a string.
        await project.IngestAsync("""
            {"message": {"message": "user %s failed", "params": ["bob"], "formatted": "user bob failed"},
             "exception": [{"type": "LoginError", "value": "bad password for bob"}],
             "tags": [["browser", "Firefox"], ["os", "Linux"]],
             "timestamp": "2026-01-02T03:04:05Z", "level": "WARN"}
            """);
        // logentry, timestamp as a number, no exception: grouped by message.
        await project.IngestAsync("""{"logentry": {"formatted": "disk 93% full"}, "timestamp": 1767323045.5, "tags": {"host": "db1"}}""");

        var issues = await project.IssuesAsync();
        var login = issues.Single(i => i.GetProperty("type").GetString() == "LoginError");
        Assert.Equal("warning", login.GetProperty("level").GetString());
        var stored = (await project.GetJsonAsync($"/api/issues/{login.GetProperty("id")}/events")).GetProperty("events")[0];
        Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), stored.GetProperty("timestamp").GetDateTime());
        var e = stored.GetProperty("event");
        Assert.Equal("Firefox", e.GetProperty("tags").GetProperty("browser").GetString());
        Assert.Equal("user bob failed", e.GetProperty("logentry").GetProperty("formatted").GetString());
        Assert.Equal("user %s failed", e.GetProperty("logentry").GetProperty("message").GetString());
        Assert.Equal("LoginError", e.GetProperty("exception").GetProperty("values")[0].GetProperty("type").GetString());

        var disk = issues.Single(i => i.GetProperty("type").GetString() == "Message");
        Assert.Equal("disk 93% full", disk.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Frames_tags_breadcrumbs_and_long_strings_are_truncated_not_refused()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var frames = Enumerable.Range(0, 400).Select(i => new { function = "f" + i, filename = "app.js", lineno = i, in_app = true });
        var body = JsonSerializer.Serialize(new
        {
            exception = new { values = new[] { new { type = "DeepError", value = "deep", stacktrace = new { frames } } } },
            tags = Enumerable.Range(0, 150).ToDictionary(i => "tag" + i, i => i.ToString()),
            breadcrumbs = new { values = Enumerable.Range(0, 300).Select(i => new { message = "crumb " + i }) },
            extra = new { long_text = new string('y', 100_000) },
        });
        await project.IngestAsync(body);

        var issue = Assert.Single(await project.IssuesAsync());
        Assert.Equal("app.js in f399", issue.GetProperty("culprit").GetString());
        var e = (await project.GetJsonAsync($"/api/issues/{issue.GetProperty("id")}/events")).GetProperty("events")[0].GetProperty("event");
        var storedFrames = e.GetProperty("exception").GetProperty("values")[0].GetProperty("stacktrace").GetProperty("frames");
        Assert.Equal(250, storedFrames.GetArrayLength());
        Assert.Equal("f0", storedFrames[0].GetProperty("function").GetString());
        Assert.Equal("f399", storedFrames[249].GetProperty("function").GetString());
        Assert.Equal(100, e.GetProperty("tags").EnumerateObject().Count());
        var crumbs = e.GetProperty("breadcrumbs").GetProperty("values");
        Assert.Equal(100, crumbs.GetArrayLength());
        Assert.Equal("crumb 299", crumbs[99].GetProperty("message").GetString());
        Assert.Equal(16 * 1024, e.GetProperty("extra").GetProperty("long_text").GetString()!.Length);
    }

    [Fact]
    public async Task Events_as_deep_as_ingest_allows_and_valid_surrogate_pairs_read_back_through_the_api()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        // 64 levels in all: root, breadcrumbs list (re-written as {"values": [...]}, one level more), crumb, data, 60 lists.
        var nested = new string('[', 60) + new string(']', 60);
        await project.IngestAsync("{\"message\":\"deep \\ud83d\\ude00\",\"breadcrumbs\":[{\"data\":" + nested + "}]}");

        var issue = Assert.Single(await project.IssuesAsync());
        Assert.Equal("deep \U0001F600", issue.GetProperty("title").GetString());
        var e = (await project.GetJsonAsync($"/api/issues/{issue.GetProperty("id")}/events")).GetProperty("events")[0].GetProperty("event");
        var depth = 0;
        for (var level = e.GetProperty("breadcrumbs").GetProperty("values")[0].GetProperty("data"); level.ValueKind == JsonValueKind.Array && level.GetArrayLength() > 0; level = level[0]) depth++;
        Assert.Equal(59, depth); // the innermost list is empty
    }
}
