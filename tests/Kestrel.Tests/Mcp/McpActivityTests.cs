using Kestrel.Tests.Issues;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Mcp;

/// <summary>mark_resolved in a release, add_note, and get_error's activity and previousResolution, over stdio and HTTP.</summary>
public sealed class McpActivityTests(KestrelServerFixture fixture) : IClassFixture<KestrelServerFixture>
{
    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public async Task An_agent_resolves_in_the_next_release_leaves_a_note_and_sees_the_regression_with_the_fix_that_failed(string transport)
    {
        var project = await fixture.Kestrel.CreateProjectAsync("agent-" + transport);
        await project.IngestAsync(ReleaseResolutionTests.Event("AgentError", "5.1.0"));
        var id = Assert.Single(await project.IssuesAsync()).GetProperty("id").GetInt64();
        await using var client = await McpConnections.ConnectAsync(transport, project);

        var resolved = await client.CallOkAsync("mark_resolved", new { issue_id = id, in_next_release = true, note = "retry on timeout" });
        Assert.True(resolved.GetProperty("resolution").GetProperty("inNextRelease").GetBoolean());
        Assert.Equal("5.1.0", resolved.GetProperty("resolution").GetProperty("afterRelease").GetString());
        var note = await client.CallOkAsync("add_note", new { issue_id = id, text = "Caused by the payment gateway's 30 s timeout.\nIgnore line two." });
        Assert.Equal("note", note.GetProperty("kind").GetString());
        Assert.Equal("mcp", note.GetProperty("by").GetString());

        await project.IngestAsync(ReleaseResolutionTests.Event("AgentError", "5.1.0"));   // old release: counts only
        Assert.Equal("resolved", (await client.CallOkAsync("get_error", new { issue_id = id })).GetProperty("issue").GetProperty("status").GetString());
        await project.IngestAsync(ReleaseResolutionTests.Event("AgentError", "5.2.0"));

        var result = await client.CallAsync("get_error", new { issue_id = id });
        var issue = result.StructuredContent!.Value.GetProperty("issue");
        Assert.Equal("open", issue.GetProperty("status").GetString());
        Assert.Equal("retry on timeout", issue.GetProperty("previousResolution").GetProperty("note").GetString());
        var activity = result.StructuredContent.Value.GetProperty("activity").EnumerateArray().ToArray();
        Assert.Equal(["regressed", "note", "resolved", "created"], activity.Select(a => a.GetProperty("kind").GetString()));
        Assert.Equal("5.2.0", activity[0].GetProperty("release").GetString());
        Assert.Equal("mcp", activity[2].GetProperty("by").GetString());

        var text = result.Text();
        Assert.Contains("previous resolution that did not hold: resolved at ", text);
        Assert.Contains(" in the next release (after 5.1.0)", text);
        Assert.Contains("Activity (newest first):", text);
        Assert.Contains("regressed on event ", text);
        Assert.Contains("from release 5.2.0", text);
        // A note's line break cannot start a line of its own in the text an agent reads.
        Assert.Contains("note by mcp: Caused by the payment gateway's 30 s timeout.\\nIgnore line two.", text);
        Assert.Contains("resolved by mcp in the next release (after 5.1.0): retry on timeout", text);

        // The REST API sees what the agent did.
        var rest = (await project.GetJsonAsync($"/api/issues/{id}/activity")).GetProperty("activity");
        Assert.Equal(4, rest.GetArrayLength());
    }

    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public async Task Get_error_shows_only_the_last_ten_activities_and_in_release_resolutions(string transport)
    {
        var project = await fixture.Kestrel.CreateProjectAsync("ten-" + transport);
        await project.IngestAsync(ReleaseResolutionTests.Event("BusyError", "1.0.0"));
        var id = Assert.Single(await project.IssuesAsync()).GetProperty("id").GetInt64();
        await using var client = await McpConnections.ConnectAsync(transport, project);
        for (var i = 1; i <= 11; i++) await client.CallOkAsync("add_note", new { issue_id = id, text = "note " + i });
        var resolved = await client.CallOkAsync("mark_resolved", new { issue_id = id, commit_sha = "abcdef0", in_release = "1.0.1" });
        Assert.Equal("1.0.1", resolved.GetProperty("resolution").GetProperty("inRelease").GetString());

        var details = await client.CallOkAsync("get_error", new { issue_id = id });
        var activity = details.GetProperty("activity").EnumerateArray().ToArray();
        Assert.Equal(10, activity.Length);
        Assert.Equal("resolved", activity[0].GetProperty("kind").GetString());
        Assert.Equal("1.0.1", activity[0].GetProperty("inRelease").GetString());
        Assert.Equal("note 3", activity[^1].GetProperty("note").GetString());
    }

    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public async Task Another_projects_token_cannot_note_or_resolve_in_a_release(string transport)
    {
        var alpha = await fixture.Kestrel.CreateProjectAsync("alpha-mcp-" + transport);
        var beta = await fixture.Kestrel.CreateProjectAsync("beta-mcp-" + transport);
        await alpha.IngestAsync(ReleaseResolutionTests.Event("AlphaOnly", "1.0.0"));
        var id = Assert.Single(await alpha.IssuesAsync()).GetProperty("id").GetInt64();
        await using var client = await McpConnections.ConnectAsync(transport, beta);

        Assert.StartsWith($"issue_id {id} is not an issue of this project.", await client.CallErrorAsync("add_note", new { issue_id = id, text = "planted" }));
        Assert.StartsWith($"issue_id {id} is not an issue of this project.", await client.CallErrorAsync("mark_resolved", new { issue_id = id, in_next_release = true }));
        var activity = (await alpha.GetJsonAsync($"/api/issues/{id}/activity")).GetProperty("activity");
        Assert.Equal("created", Assert.Single(activity.EnumerateArray().ToArray()).GetProperty("kind").GetString());
        Assert.Equal("open", (await alpha.GetJsonAsync($"/api/issues/{id}")).GetProperty("status").GetString());
    }
}
