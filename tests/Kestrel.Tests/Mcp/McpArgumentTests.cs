using Kestrel.Tests.Support;

namespace Kestrel.Tests.Mcp;

/// <summary>Every bound of every argument, through the SDK's client: what is refused, in which words, and what is just accepted.</summary>
public sealed class McpArgumentTests
{
    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public async Task Bad_arguments_get_a_tool_error_naming_the_argument_and_the_reason(string transport)
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.IngestAsync(Events.Exception("BoundError", "x"));
        var id = (await project.IssuesAsync()).Single().GetProperty("id").GetInt64();
        await using var client = await McpConnections.ConnectAsync(transport, project);

        var refused = new (string Tool, object Arguments, string Error)[]
        {
            ("list_errors", new { limit = 0 }, "limit must be a whole number from 1 to 200."),
            ("list_errors", new { limit = 201 }, "limit must be a whole number from 1 to 200."),
            ("list_errors", new { limit = 1.5 }, "limit must be a whole number."),
            ("list_errors", new { limit = "ten" }, "limit must be a whole number."),
            ("list_errors", new { limit = 99_999_999_999L }, "limit must be a whole number from 1 to 200."),
            ("list_errors", new { status = "closed" }, "status must be open, resolved or ignored."),
            ("list_errors", new { status = 1 }, "status must be a string or left out."),
            ("list_errors", new { since = "01/02/2026" }, "since must be an ISO-8601 time such as 2026-01-31T12:00:00Z."),
            ("list_errors", new { since = "yesterday" }, "since must be an ISO-8601 time such as 2026-01-31T12:00:00Z."),
            ("list_errors", new { cursor = "not-a-cursor" }, "cursor is not one this server gave out."),
            ("list_errors", new { page = 2 }, "page is not an argument of list_errors; it takes status, since, limit, cursor, query, sort."),
            ("get_error", new { }, "issue_id is required: The issue's id, from list_errors."),
            ("get_error", new { issue_id = "twelve" }, "issue_id must be a whole number."),
            ("get_error", new { issue_id = id, event_limit = 0 }, "event_limit must be a whole number from 1 to 50."),
            ("get_error", new { issue_id = id, event_limit = 51 }, "event_limit must be a whole number from 1 to 50."),
            ("get_error", new { issue_id = 0 }, "issue_id 0 is not an issue of this project."),
            ("get_error", new { issue_id = 424242 }, "issue_id 424242 is not an issue of this project."),
            ("get_error", new { issueId = id }, "issueId is not an argument of get_error; it takes issue_id, event_limit."),
            ("mark_resolved", new { issue_id = id }, "commit_sha is required: The git commit that fixes it"),
            ("mark_resolved", new { issue_id = id, commit_sha = "abc123" }, "commit_sha must be 7 to 64 hexadecimal characters."),
            ("mark_resolved", new { issue_id = id, commit_sha = "release-1" }, "commit_sha must be 7 to 64 hexadecimal characters."),
            ("mark_resolved", new { issue_id = id, commit_sha = new string('a', 65) }, "commit_sha must be 7 to 64 hexadecimal characters."),
            ("mark_resolved", new { issue_id = id, commit_sha = 1234567 }, "commit_sha must be a string."),
            ("mark_resolved", new { issue_id = id, commit_sha = "abcdef0", note = new string('n', 2001) }, "note must be at most 2000 characters."),
            ("mark_resolved", new { issue_id = 424242, commit_sha = "abcdef0" }, "issue_id 424242 is not an issue of this project."),
            ("mark_ignored", new { issue_id = id, reason = new string('r', 2001) }, "reason must be at most 2000 characters."),
            ("mark_ignored", new { issue_id = 424242 }, "issue_id 424242 is not an issue of this project."),
            ("get_trend", new { issue_id = id, hours = 0 }, "hours must be a whole number from 1 to 720."),
            ("get_trend", new { issue_id = id, hours = 721 }, "hours must be a whole number from 1 to 720."),
            ("get_trend", new { issue_id = 424242 }, "issue_id 424242 is not an issue of this project."),
        };
        foreach (var (tool, arguments, error) in refused)
            Assert.StartsWith(error, await client.CallErrorAsync(tool, arguments));

        // Nothing was changed by the refused calls.
        var issue = await project.GetJsonAsync($"/api/issues/{id}");
        Assert.Equal("open", issue.GetProperty("status").GetString());

        // The bounds themselves are accepted.
        Assert.Single((await client.CallOkAsync("list_errors", new { limit = 1 })).GetProperty("issues").EnumerateArray());
        Assert.Single((await client.CallOkAsync("list_errors", new { limit = 200, status = "open", since = "2000-01-01" })).GetProperty("issues").EnumerateArray());
        Assert.Single((await client.CallOkAsync("list_errors", new { since = "2000-01-01T00:00:00+02:00" })).GetProperty("issues").EnumerateArray());
        Assert.Empty((await client.CallOkAsync("list_errors", new { since = "2999-01-01T00:00:00Z" })).GetProperty("issues").EnumerateArray());
        Assert.Single((await client.CallOkAsync("get_error", new { issue_id = id, event_limit = 1 })).GetProperty("events").EnumerateArray());
        Assert.Single((await client.CallOkAsync("get_error", new { issue_id = id.ToString(), event_limit = 50 })).GetProperty("events").EnumerateArray());
        Assert.Single((await client.CallOkAsync("get_trend", new { issue_id = id, hours = 1 })).GetProperty("counts").EnumerateArray());
        Assert.Equal(720, (await client.CallOkAsync("get_trend", new { issue_id = id, hours = 720 })).GetProperty("counts").GetArrayLength());
        Assert.Equal("ignored", (await client.CallOkAsync("mark_ignored", new { issue_id = id, reason = new string('r', 2000) })).GetProperty("status").GetString());
        var resolved = await client.CallOkAsync("mark_resolved", new { issue_id = id, commit_sha = "abcdef0", note = new string('n', 2000) });
        Assert.Equal("abcdef0", resolved.GetProperty("resolution").GetProperty("commitSha").GetString());
        var full = new string('f', 64);
        Assert.Equal(full, (await client.CallOkAsync("mark_resolved", new { issue_id = id, commit_sha = full })).GetProperty("resolution").GetProperty("commitSha").GetString());
    }
}
