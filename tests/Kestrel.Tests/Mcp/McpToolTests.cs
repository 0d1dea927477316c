using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Mcp;

/// <summary>The five tools through the SDK's client, over stdio (<c>kestrel mcp</c>) and over HTTP (<c>/mcp</c>).</summary>
public sealed class McpToolTests
{
    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public async Task Lists_the_five_tools_with_descriptions_and_schemas(string transport)
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await using var client = await McpConnections.ConnectAsync(transport, project);

        Assert.Equal("kestrel", client.ServerInfo!.Name);
        Assert.Contains("list_errors", client.ServerInstructions);
        var tools = (await client.ListToolsAsync()).ToDictionary(t => t.Name, t => t.ProtocolTool);
        Assert.Equal(["get_error", "get_tag_values", "get_trend", "list_errors", "mark_ignored", "mark_resolved"], tools.Keys.Order());

        var expected = new Dictionary<string, (string[] Arguments, string[] Required)>
        {
            ["list_errors"] = (["status", "since", "limit", "cursor", "query", "sort"], []),
            ["get_error"] = (["issue_id", "event_limit"], ["issue_id"]),
            ["mark_resolved"] = (["issue_id", "commit_sha", "note"], ["issue_id", "commit_sha"]),
            ["mark_ignored"] = (["issue_id", "reason"], ["issue_id"]),
            ["get_trend"] = (["issue_id", "hours"], ["issue_id"]),
            ["get_tag_values"] = (["issue_id", "key", "limit"], ["issue_id", "key"]),
        };
        foreach (var (name, (arguments, required)) in expected)
        {
            var tool = tools[name];
            Assert.True(tool.Description!.Length > 80, $"{name} explains what it returns and when to use it");
            var properties = tool.InputSchema.GetProperty("properties");
            Assert.Equal(arguments, properties.EnumerateObject().Select(p => p.Name));
            foreach (var argument in properties.EnumerateObject())
                Assert.False(string.IsNullOrWhiteSpace(argument.Value.GetProperty("description").GetString()), $"{name}.{argument.Name} has a description");
            var requiredNames = tool.InputSchema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => x.GetString()).ToArray() : [];
            Assert.Equal(required, requiredNames);
            Assert.Equal("object", tool.OutputSchema!.Value.GetProperty("type").GetString());
        }
        Assert.Equal(50, tools["list_errors"].InputSchema.GetProperty("properties").GetProperty("limit").GetProperty("default").GetInt32());
        Assert.Equal("integer", tools["get_error"].InputSchema.GetProperty("properties").GetProperty("issue_id").GetProperty("type").GetString());
        Assert.Equal(5, tools["get_error"].InputSchema.GetProperty("properties").GetProperty("event_limit").GetProperty("default").GetInt32());
        Assert.Equal(24, tools["get_trend"].InputSchema.GetProperty("properties").GetProperty("hours").GetProperty("default").GetInt32());
        Assert.True(tools["list_errors"].Annotations!.ReadOnlyHint);
        Assert.False(tools["mark_resolved"].Annotations!.ReadOnlyHint ?? false);
    }

    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public async Task Each_tool_answers_with_structured_content_and_a_text_rendering(string transport)
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.IngestAsync(Events.Exception("OlderError", "older", function: "old"));
        await project.IngestAsync(McpEvents.Checkout());
        await using var client = await McpConnections.ConnectAsync(transport, project);

        var listed = await client.CallAsync("list_errors");
        var issues = listed.StructuredContent!.Value.GetProperty("issues").EnumerateArray().ToArray();
        Assert.Equal(2, issues.Length);
        var checkout = issues[0]; // newest first
        Assert.Equal("CheckoutError: could not price the cart", checkout.GetProperty("title").GetString());
        foreach (var field in (string[])["id", "title", "type", "status", "eventCount", "lastSeen", "culprit", "level"])
            Assert.True(checkout.TryGetProperty(field, out _), field);
        Assert.Equal("open", checkout.GetProperty("status").GetString());
        Assert.Equal(1, checkout.GetProperty("eventCount").GetInt64());
        Assert.False(listed.StructuredContent.Value.TryGetProperty("nextCursor", out _));
        var id = checkout.GetProperty("id").GetInt64();
        Assert.StartsWith($"#{id} open error CheckoutError: could not price the cart | app/cart.py in checkout | 1 event", listed.Text());

        var result = await client.CallAsync("get_error", new { issue_id = id });
        var details = result.StructuredContent!.Value;
        Assert.Equal(id, details.GetProperty("issue").GetProperty("id").GetInt64());
        Assert.Equal(project.Slug, details.GetProperty("issue").GetProperty("project").GetString());
        Assert.True(details.GetProperty("issue").TryGetProperty("fingerprint", out _));
        var e = Assert.Single(details.GetProperty("events").EnumerateArray());
        Assert.Equal(McpEvents.Release, e.GetProperty("release").GetString());
        Assert.Equal(McpEvents.Url, e.GetProperty("request").GetProperty("url").GetString());
        Assert.Equal("POST", e.GetProperty("request").GetProperty("method").GetString());
        Assert.Equal("ada@example.com", e.GetProperty("user").GetProperty("email").GetString());
        Assert.Equal("Firefox 130", e.GetProperty("tags").GetProperty("browser").GetString());
        var breadcrumbs = e.GetProperty("breadcrumbs").EnumerateArray().Select(b => b.GetProperty("message").GetString()).ToArray();
        Assert.Equal(Enumerable.Range(11, 20).Select(i => $"GET /cart/{i}"), breadcrumbs); // the last 20 of 30, oldest first

        var chain = e.GetProperty("exceptions").EnumerateArray().ToArray();
        Assert.Equal(["CheckoutError", "KeyError"], chain.Select(x => x.GetProperty("type").GetString()));
        var frames = chain[0].GetProperty("frames").EnumerateArray().ToArray();
        Assert.Equal(["validate", "checkout", "main"], frames.Select(f => f.GetProperty("function").GetString())); // innermost first
        Assert.False(frames[0].TryGetProperty("contextLine", out _)); // library frame: no source
        Assert.Equal("    total = price * qty", frames[1].GetProperty("contextLine").GetString());
        Assert.Equal(["    # 39", "    items = cart.items", "    price = prices[item]"], frames[1].GetProperty("preContext").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(["    return total", "", "# 45"], frames[1].GetProperty("postContext").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(42, frames[1].GetProperty("line").GetInt32());

        var text = result.Text();
        Assert.Contains("CheckoutError: could not price the cart\n  at validate (site-packages/lib.py:7) [library]\n  at checkout (app/cart.py:42)\n", text);
        Assert.Contains("         41 |     price = prices[item]\n    >    42 |     total = price * qty\n         43 |     return total\n", text);
        Assert.Contains("caused by KeyError: 'price'\n  at lookup (app/prices.py:12)\n", text);
        Assert.Contains($"request: POST {McpEvents.Url}\n", text);
        Assert.Contains("user: id 42, email ada@example.com, ip 203.0.113.9\n", text);
        Assert.Contains("tags: browser=Firefox 130, region=eu\n", text);
        Assert.Contains("http GET /cart/30 {status_code: 200}\n", text);
        Assert.DoesNotContain("GET /cart/10 ", text);

        var trend = await client.CallOkAsync("get_trend", new { issue_id = id, hours = 3 });
        var counts = trend.GetProperty("counts").EnumerateArray().Select(c => c.GetInt64()).ToArray();
        Assert.Equal(3, counts.Length);
        Assert.Equal(0, counts[0]);
        Assert.Equal(1, counts[1] + counts[2]); // the current hour, or the one before if an hour began since the event
        Assert.Equal(1, trend.GetProperty("total").GetInt64());
        var from = trend.GetProperty("from").GetDateTime().ToUniversalTime();
        Assert.Equal(0, from.Minute + from.Second + from.Millisecond);
        Assert.InRange(DateTime.UtcNow - from, TimeSpan.FromHours(2), TimeSpan.FromHours(3));

        var ignored = await client.CallAsync("mark_ignored", new { issue_id = issues[1].GetProperty("id").GetInt64(), reason = "a bot" });
        Assert.Equal("ignored", ignored.StructuredContent!.Value.GetProperty("status").GetString());
        Assert.Equal("a bot", ignored.StructuredContent.Value.GetProperty("ignoreReason").GetString());
        Assert.Contains("ignored: a bot\n", ignored.Text());
        Assert.Equal(id, (await client.CallOkAsync("list_errors", new { status = "open" })).GetProperty("issues").EnumerateArray().Single().GetProperty("id").GetInt64());
    }

    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public async Task Resolving_stores_the_commit_and_note_and_a_new_event_reopens_the_issue(string transport)
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.IngestAsync(McpEvents.Checkout());
        await using var client = await McpConnections.ConnectAsync(transport, project);
        var id = (await client.CallOkAsync("list_errors")).GetProperty("issues")[0].GetProperty("id").GetInt64();

        var resolved = await client.CallOkAsync("mark_resolved", new { issue_id = id, commit_sha = "A1B2C3D4E5", note = "price lookup falls back to list price" });
        Assert.Equal("resolved", resolved.GetProperty("status").GetString());
        Assert.Equal("a1b2c3d4e5", resolved.GetProperty("resolution").GetProperty("commitSha").GetString());

        var shown = await client.CallAsync("get_error", new { issue_id = id });
        var resolution = shown.StructuredContent!.Value.GetProperty("issue").GetProperty("resolution");
        Assert.Equal("a1b2c3d4e5", resolution.GetProperty("commitSha").GetString());
        Assert.Equal("price lookup falls back to list price", resolution.GetProperty("note").GetString());
        Assert.Contains("by commit a1b2c3d4e5\nnote: price lookup falls back to list price\n", shown.Text());
        Assert.Empty((await client.CallOkAsync("list_errors", new { status = "open" })).GetProperty("issues").EnumerateArray());
        Assert.Equal("resolved", (await project.GetJsonAsync($"/api/issues/{id}")).GetProperty("status").GetString()); // the REST API agrees

        await project.IngestAsync(McpEvents.Checkout(value: "'discount'"));

        var open = (await client.CallOkAsync("list_errors", new { status = "open" })).GetProperty("issues").EnumerateArray().Single();
        Assert.Equal(id, open.GetProperty("id").GetInt64());
        Assert.Equal(2, open.GetProperty("eventCount").GetInt64());
        var reopened = await client.CallAsync("get_error", new { issue_id = id, event_limit = 1 });
        var issue = reopened.StructuredContent!.Value.GetProperty("issue");
        Assert.Equal("open", issue.GetProperty("status").GetString());
        Assert.True(issue.TryGetProperty("regressedAt", out _));
        Assert.Contains("regressed", reopened.Text());
        Assert.Equal("'discount'", reopened.StructuredContent.Value.GetProperty("events")[0].GetProperty("exceptions")[1].GetProperty("value").GetString());
    }

    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public async Task Cursor_paging_visits_every_issue_exactly_once(string transport)
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var batch = "[" + string.Join(',', Enumerable.Range(0, 23).Select(i => Events.Exception("PageError", "x", function: "f" + i))) + "]";
        using (var response = await project.PostEventAsync(batch)) Assert.True(response.IsSuccessStatusCode);
        await project.IngestAsync(Events.Exception("PageError", "x", function: "f5")); // f5 becomes the newest
        await using var client = await McpConnections.ConnectAsync(transport, project);

        var seen = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await client.CallAsync("list_errors", cursor is null ? new { limit = 10 } : new { limit = 10, cursor });
            var content = page.StructuredContent!.Value;
            seen.AddRange(content.GetProperty("issues").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()));
            cursor = content.TryGetProperty("nextCursor", out var next) ? next.GetString() : null;
            if (cursor is not null) Assert.Contains($"cursor \"{cursor}\"", page.Text());
            pages++;
        } while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(23, seen.Count);
        Assert.Equal(23, seen.Distinct().Count());
        var first = await client.CallOkAsync("get_error", new { issue_id = seen[0], event_limit = 1 });
        Assert.Equal("app/handler.py in f5", first.GetProperty("issue").GetProperty("culprit").GetString());
    }

    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public async Task Another_projects_issue_looks_exactly_like_a_missing_one(string transport)
    {
        await using var server = await KestrelServer.StartAsync();
        var alpha = await server.CreateProjectAsync("alpha");
        var beta = await server.CreateProjectAsync("beta");
        await alpha.IngestAsync(Events.Exception("AlphaError", "secret of alpha"));
        await beta.IngestAsync(Events.Exception("BetaError", "beta"));
        var alphaIssue = (await alpha.IssuesAsync()).Single().GetProperty("id").GetInt64();
        const long missing = 987_654;
        await using var client = await McpConnections.ConnectAsync(transport, beta);

        var listed = await client.CallOkAsync("list_errors");
        Assert.Equal("BetaError", listed.GetProperty("issues").EnumerateArray().Single().GetProperty("type").GetString());
        foreach (var (tool, arguments) in new (string, Func<long, object>)[]
        {
            ("get_error", id => new { issue_id = id }),
            ("mark_resolved", id => new { issue_id = id, commit_sha = "abcdef0" }),
            ("mark_ignored", id => new { issue_id = id }),
            ("get_trend", id => new { issue_id = id }),
        })
        {
            var foreign = await client.CallErrorAsync(tool, arguments(alphaIssue));
            var unknown = await client.CallErrorAsync(tool, arguments(missing));
            Assert.Equal(unknown.Replace(missing.ToString(), "N"), foreign.Replace(alphaIssue.ToString(), "N"));
            Assert.Contains("issue_id", foreign);
            Assert.DoesNotContain("alpha", foreign, StringComparison.OrdinalIgnoreCase);
        }
        var untouched = await alpha.GetJsonAsync($"/api/issues/{alphaIssue}");
        Assert.Equal("open", untouched.GetProperty("status").GetString());
    }
}
