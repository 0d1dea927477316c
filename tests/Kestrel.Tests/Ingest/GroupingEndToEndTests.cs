using Kestrel.Tests.Support;

namespace Kestrel.Tests.Ingest;

/// <summary>Events become issues through the real server, and issue status follows new events.</summary>
public sealed class GroupingEndToEndTests
{
    [Fact]
    public async Task An_event_becomes_an_issue_with_its_details()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();

        var id = await project.IngestAsync(Events.Exception("KeyError", "'user_id'", function: "load_user", file: "app/users.py"));

        var issue = Assert.Single(await project.IssuesAsync());
        Assert.Equal("KeyError: 'user_id'", issue.GetProperty("title").GetString());
        Assert.Equal("KeyError", issue.GetProperty("type").GetString());
        Assert.Equal("app/users.py in load_user", issue.GetProperty("culprit").GetString());
        Assert.Equal("error", issue.GetProperty("level").GetString());
        Assert.Equal("open", issue.GetProperty("status").GetString());
        Assert.Equal(1, issue.GetProperty("eventCount").GetInt64());
        Assert.Equal("v1", issue.GetProperty("groupingVersion").GetString());
        Assert.Equal(project.Slug, issue.GetProperty("project").GetString());

        var events = await project.GetJsonAsync($"/api/issues/{issue.GetProperty("id").GetInt64()}/events");
        var stored = Assert.Single(events.GetProperty("events").EnumerateArray());
        Assert.Equal(id, stored.GetProperty("id").GetString());
        Assert.Equal("KeyError", stored.GetProperty("event").GetProperty("exception").GetProperty("values")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task The_same_error_twice_is_one_issue_with_two_events_and_different_errors_are_two()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();

        // Same code path, different line numbers and ids in the message: one issue.
        await project.IngestAsync(Events.Exception("ValueError", "order 1001 not found", line: 10));
        await project.IngestAsync(Events.Exception("ValueError", "order 2002 not found", line: 12));
        // A different function: a second issue.
        await project.IngestAsync(Events.Exception("ValueError", "order 1001 not found", function: "checkout"));

        var issues = await project.IssuesAsync();
        Assert.Equal(2, issues.Length);
        Assert.Equal([1, 2], issues.Select(i => i.GetProperty("eventCount").GetInt64()).Order());
    }

    [Fact]
    public async Task A_client_fingerprint_overrides_grouping_and_default_expands()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();

        // Different errors forced into one issue by an explicit fingerprint.
        await project.IngestAsync(Events.Exception("TimeoutError", "db", fingerprint: ["database-unavailable"]));
        await project.IngestAsync(Events.Exception("ConnectionError", "db", function: "other", fingerprint: ["database-unavailable"]));
        // {{ default }} splits the default group by tenant.
        await project.IngestAsync(Events.Exception("KeyError", "x", fingerprint: ["{{ default }}", "tenant-a"]));
        await project.IngestAsync(Events.Exception("KeyError", "x", fingerprint: ["{{ default }}", "tenant-b"]));
        await project.IngestAsync(Events.Exception("KeyError", "x", fingerprint: ["{{default}}", "tenant-b"]));

        var counts = (await project.IssuesAsync()).Select(i => i.GetProperty("eventCount").GetInt64()).Order().ToArray();
        Assert.Equal([1, 2, 2], counts);
    }

    [Fact]
    public async Task A_resolved_issue_reopens_as_regressed_and_an_ignored_one_stays_ignored()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.IngestAsync(Events.Exception("RegressionError", "boom"));
        await project.IngestAsync(Events.Exception("IgnoredError", "noise", function: "noisy"));
        var issues = await project.IssuesAsync();
        var regressing = issues.Single(i => i.GetProperty("type").GetString() == "RegressionError").GetProperty("id").GetInt64();
        var ignored = issues.Single(i => i.GetProperty("type").GetString() == "IgnoredError").GetProperty("id").GetInt64();

        var resolved = await project.PatchAsync(regressing, new { status = "resolved", commit_sha = "a1b2c3d4", note = "fixed null check" });
        Assert.Equal("resolved", resolved.GetProperty("status").GetString());
        Assert.Equal("a1b2c3d4", resolved.GetProperty("resolution").GetProperty("commitSha").GetString());
        Assert.Equal("fixed null check", resolved.GetProperty("resolution").GetProperty("note").GetString());
        var afterIgnore = await project.PatchAsync(ignored, new { status = "ignored", reason = "third-party noise" });
        Assert.Equal("third-party noise", afterIgnore.GetProperty("ignoreReason").GetString());

        await project.IngestAsync(Events.Exception("RegressionError", "boom"));
        await project.IngestAsync(Events.Exception("IgnoredError", "noise", function: "noisy"));

        var reopened = await project.GetJsonAsync($"/api/issues/{regressing}");
        Assert.Equal("open", reopened.GetProperty("status").GetString());
        Assert.True(reopened.TryGetProperty("regressedAt", out _));
        Assert.Equal(2, reopened.GetProperty("eventCount").GetInt64());
        var stillIgnored = await project.GetJsonAsync($"/api/issues/{ignored}");
        Assert.Equal("ignored", stillIgnored.GetProperty("status").GetString());
        Assert.Equal(2, stillIgnored.GetProperty("eventCount").GetInt64());
    }

    [Fact]
    public async Task An_event_sent_twice_with_the_same_event_id_is_counted_once()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var body = """{"event_id":"0123456789abcdef0123456789abcdef","message":"retry me"}""";
        Assert.Equal("0123456789abcdef0123456789abcdef", await project.IngestAsync(body));
        Assert.Equal("0123456789abcdef0123456789abcdef", await project.IngestAsync(body));
        Assert.Equal(1, Assert.Single(await project.IssuesAsync()).GetProperty("eventCount").GetInt64());
    }
}
