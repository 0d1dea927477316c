using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Mcp;

/// <summary>list_errors' query and sort, get_error's tag summary and get_tag_values, over stdio and HTTP.</summary>
public sealed class McpTagToolTests
{
    private static string Event(string type, string environment, string release, string user, string browser) => JsonSerializer.Serialize(new
    {
        level = "error",
        environment,
        release,
        user = new { id = user },
        contexts = new { browser = new { name = browser, version = "130.0.1" } },
        exception = new { values = new[] { new { type, value = "failed", stacktrace = new { frames = new[] { new { function = "f" + type, filename = "a.js", lineno = 1, in_app = true } } } } } },
    });

    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public async Task Agents_search_sort_and_read_tag_values(string transport)
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var other = await server.CreateProjectAsync("other");
        var batch = new[]
        {
            Event("CartError", "production", "2.4.1", "1", "Chrome"),
            Event("CartError", "production", "2.4.1", "2", "Chrome"),
            Event("CartError", "staging", "2.4.0", "3", "Firefox"),
            Event("CartError", "production", "2.4.1", "1", "Chrome"),
            Event("LoginError", "staging", "2.4.0", "9", "Firefox"),
        };
        using (var response = await project.PostEventAsync("[" + string.Join(',', batch) + "]")) Assert.True(response.IsSuccessStatusCode);
        await other.IngestAsync(Event("OtherError", "production", "1.0", "1", "Chrome"));
        await using var client = await McpConnections.ConnectAsync(transport, project);

        var found = await client.CallAsync("list_errors", new { query = "environment:production browser:\"Chrome 130\"", sort = "users" });
        var issue = Assert.Single(found.StructuredContent!.Value.GetProperty("issues").EnumerateArray());
        Assert.Equal("CartError", issue.GetProperty("type").GetString());
        Assert.Equal(3, issue.GetProperty("usersAffected").GetInt64());
        Assert.Contains("| 3 users |", found.Text());
        var id = issue.GetProperty("id").GetInt64();

        var byUsers = await client.CallAsync("list_errors", new { sort = "users" });
        Assert.Equal(["CartError", "LoginError"], byUsers.StructuredContent!.Value.GetProperty("issues").EnumerateArray().Select(i => i.GetProperty("type").GetString()));

        var malformed = await client.CallAsync("list_errors", new { query = "timesSeen:>many" });
        Assert.True(malformed.IsError);
        Assert.StartsWith("The search term 'timesSeen:>many' is malformed", malformed.Text());
        var badSort = await client.CallAsync("list_errors", new { sort = "title" });
        Assert.True(badSort.IsError);
        Assert.Equal("sort must be lastSeen, firstSeen, eventCount or users.", badSort.Text());

        var details = await client.CallAsync("get_error", new { issue_id = id, event_limit = 1 });
        var structured = details.StructuredContent!.Value;
        Assert.Equal(3, structured.GetProperty("issue").GetProperty("usersAffected").GetInt64());
        Assert.Equal("2.4.1", structured.GetProperty("issue").GetProperty("firstRelease").GetString());
        Assert.Equal("2.4.1", structured.GetProperty("issue").GetProperty("lastRelease").GetString());
        var tags = structured.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("key").GetString()!);
        Assert.Equal(["environment", "release", "browser"], tags.Keys);
        var environment = tags["environment"].GetProperty("values").EnumerateArray().ToList();
        Assert.Equal("production", environment[0].GetProperty("value").GetString());
        Assert.Equal(75, environment[0].GetProperty("percent").GetDouble());
        Assert.Equal(25, environment[1].GetProperty("percent").GetDouble());
        var text = details.Text();
        Assert.Contains("users affected: 3 | first release 2.4.1 | last release 2.4.1\n", text);
        Assert.Contains("environment: production 75%, staging 25%\n", text);
        Assert.Contains("browser: Chrome 130 75%, Firefox 130 25%\n", text);

        var users = await client.CallAsync("get_tag_values", new { issue_id = id, key = "user", limit = 2 });
        var values = users.StructuredContent!.Value;
        Assert.Equal(4, values.GetProperty("eventCount").GetInt64());
        Assert.Equal(3, values.GetProperty("uniqueValues").GetInt64());
        Assert.Equal(["id:1", "id:2"], values.GetProperty("values").EnumerateArray().Select(v => v.GetProperty("value").GetString()));
        Assert.Equal(50, values.GetProperty("values")[0].GetProperty("percent").GetDouble());
        Assert.Contains("id:1 | 2 (50%)", users.Text());
        Assert.Contains("1 less frequent values left out", users.Text());

        var none = await client.CallAsync("get_tag_values", new { issue_id = id, key = "device" });
        Assert.False(none.IsError);
        Assert.Equal($"No event of issue #{id} had the tag device.\n", none.Text());
        foreach (var (arguments, words) in new (object, string)[]
        {
            (new { issue_id = id, key = "a b" }, "key must be 1 to 32 letters"),
            (new { issue_id = id, key = "user", limit = 0 }, "limit must be a whole number from 1 to 100."),
            (new { issue_id = id + 1000, key = "user" }, "is not an issue of this project"),
        })
        {
            var refused = await client.CallAsync("get_tag_values", arguments);
            Assert.True(refused.IsError);
            Assert.Contains(words, refused.Text());
        }
        var otherIssue = Assert.Single(await other.IssuesAsync()).GetProperty("id").GetInt64();
        var foreign = await client.CallAsync("get_tag_values", new { issue_id = otherIssue, key = "user" });
        Assert.True(foreign.IsError);
        Assert.Equal($"issue_id {otherIssue} is not an issue of this project. Use an id from list_errors.", foreign.Text());
    }
}
