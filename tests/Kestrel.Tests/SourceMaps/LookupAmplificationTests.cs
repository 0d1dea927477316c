using System.Net;
using System.Text;
using System.Text.Json;
using Kestrel.Tests.Mcp;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.SourceMaps;

/// <summary>
/// Issue 17 §1: with only the public key, an event of JavaScript frames whose paths are thousands of
/// segments deep (<c>a/a/a/…/x.js</c>) once cost the server tens of seconds of CPU and gigabytes of memory
/// at ingest and again on every view. The work per event is now bounded; measured on the real process.
/// </summary>
public sealed class LookupAmplificationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Frames = 55;      // each a distinct ~16 K-character path: an event just under 1 MiB
    private const int Events = 3;

    [Fact]
    public async Task Deep_frame_paths_cost_bounded_cpu_and_memory_at_ingest_and_on_every_view()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_ADMIN_PASSWORD"] = WebUi.Password });
        var project = await server.CreateProjectAsync();
        // Any uploaded map turns lookups on for the project; the attack names another release.
        await project.UploadOkAsync("0.9", ("app.min.js.map", """{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}"""u8.ToArray()));
        var before = ProcessUsage.Of(server.ProcessId);

        for (var n = 0; n < Events; n++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/{project.Id}/store/?sentry_key={project.PublicKey}")
            { Content = new StringContent(HostileEvent(n), Encoding.UTF8, "application/json") };
            using var response = await server.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode); // stored, frames as sent
        }
        var issueId = Assert.Single(await project.IssuesAsync()).GetProperty("id").GetInt64();

        // Every place an event is shown resolves it again: the REST API, the issue page, MCP get_error.
        using var rest = await project.SendAsync(HttpMethod.Get, $"/api/issues/{issueId}/events?limit=1");
        var answer = await rest.Content.ReadAsByteArrayAsync();
        Assert.True(answer.Length < 1_500_000, $"REST answer {answer.Length} bytes");
        using var admin = await AdminHttp.SignInAsync(server);
        using (var page = await admin.Client.GetAsync($"/projects/{project.Slug}/issues/{issueId}"))
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        await using (var mcp = await McpConnections.HttpAsync(server, project.Token))
            Assert.Contains("HostileError", (await mcp.CallAsync("get_error", new { issue_id = issueId })).Text());
        var after = ProcessUsage.Of(server.ProcessId);

        // Before the fix one such event took 35.8 s of CPU and 1.9 GB; a shared 2-core machine gets slack.
        var cpu = after.Cpu - before.Cpu;
        var grown = (after.RssBytes - before.RssBytes) / (1024 * 1024);
        output.WriteLine($"{Events} hostile events and three views: {cpu.TotalSeconds:F2} s of server CPU, RSS {before} → {after}");
        Assert.True(cpu < TimeSpan.FromSeconds(6), $"{Events} events and three views cost {cpu.TotalSeconds:F1} s of server CPU ({before} → {after})");
        Assert.True(grown < 300, $"server RSS grew {grown} MiB ({before} → {after})");

        using var json = JsonDocument.Parse(answer, new JsonDocumentOptions { MaxDepth = 256 });
        var frames = json.RootElement.GetProperty("events")[0].GetProperty("event").Frames();
        Assert.Equal(Frames, frames.Length);
        var errors = frames.Select(f => f.GetProperty("data").GetProperty("sourcemap_error").GetString()!).ToArray();
        Assert.All(errors, e => Assert.True(e.Length < 300, e));
        Assert.Contains("tried 16 paths ending in x0.js.map", errors[0]);
        // Only 20 different scripts per event are looked up; the rest say so in a few words.
        Assert.Equal(Frames - 20, errors.Count(e => e == "Not looked up: the event names more than 20 scripts."));
        Assert.StartsWith("https://cdn.example/a/a/", frames[0].GetProperty("abs_path").GetString());
    }

    /// <summary>An exception whose every frame names its own script 8,000 segments deep.</summary>
    private static string HostileEvent(int n) => JsonSerializer.Serialize(new
    {
        platform = "javascript",
        release = "1.0",
        exception = new
        {
            values = new[]
            {
                new
                {
                    type = "HostileError",
                    value = $"attack {n}",
                    stacktrace = new
                    {
                        frames = Enumerable.Range(0, Frames).Select(i => new
                        {
                            abs_path = "https://cdn.example/" + string.Concat(Enumerable.Repeat("a/", 7990)) + $"x{i}.js",
                            function = "f",
                            lineno = 1,
                            colno = 1 + i,
                        }).ToArray(),
                    },
                },
            },
        },
    });
}
