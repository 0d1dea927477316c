using System.Net;
using System.Text.Json;
using Kestrel.Tests.Support;
using Sentry;

namespace Kestrel.Tests.Tags;

/// <summary>Facets and users affected from the real SDKs' events, through <c>GET /api/issues/{id}/tags</c> of the real server.</summary>
public sealed class TagFacetTests(KestrelServerFixture fixture) : IClassFixture<KestrelServerFixture>
{
    private Task<TestProject> NewProjectAsync() => fixture.Kestrel.CreateProjectAsync("tags-" + Guid.NewGuid().ToString("N")[..8]);

    private static Dictionary<string, JsonElement> ByKey(JsonElement tags) =>
        tags.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("key").GetString()!);

    private static Dictionary<string, long> Values(JsonElement tag) =>
        tag.GetProperty("values").EnumerateArray().ToDictionary(v => v.GetProperty("value").GetString()!, v => v.GetProperty("count").GetInt64());

    [Fact]
    public async Task Node_sdk_events_with_users_and_tags_give_facets_and_users_affected()
    {
        var project = await NewProjectAsync();
        var run = await SentryClients.NodeAsync(project.Dsn(), "tagged");
        Assert.True(run.ExitCode == 0, run.Stderr);

        var issue = Assert.Single(await project.IssuesAsync());
        Assert.Equal(3, issue.GetProperty("eventCount").GetInt64());
        Assert.Equal(2, issue.GetProperty("usersAffected").GetInt64());
        Assert.Equal("shop-web@2.4.1", issue.GetProperty("firstRelease").GetString());
        Assert.Equal("shop-web@2.4.1", issue.GetProperty("lastRelease").GetString());

        var tags = await project.GetJsonAsync($"/api/issues/{issue.GetProperty("id").GetInt64()}/tags");
        var keys = tags.GetProperty("tags").EnumerateArray().Select(t => t.GetProperty("key").GetString()!).ToList();
        Assert.Equal(["environment", "release", "level", "os", "user"], keys.Take(5));
        var byKey = ByKey(tags);
        Assert.Equal(new Dictionary<string, long> { ["test"] = 3 }, Values(byKey["environment"]));
        Assert.Equal(new Dictionary<string, long> { ["error"] = 3 }, Values(byKey["level"]));
        Assert.Equal(new Dictionary<string, long> { ["id:u-1"] = 2, ["id:u-2"] = 1 }, Values(byKey["user"]));
        Assert.Equal(["id:u-1", "id:u-2"], byKey["user"].GetProperty("values").EnumerateArray().Select(v => v.GetProperty("value").GetString()));
        Assert.Equal(2, byKey["user"].GetProperty("uniqueValues").GetInt64());
        Assert.Equal(3, byKey["user"].GetProperty("count").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["pro"] = 2, ["free"] = 1 }, Values(byKey["tier"]));
        Assert.Equal(new Dictionary<string, long> { ["yes"] = 3 }, Values(byKey["handled"]));
        Assert.StartsWith("node v", Values(byKey["runtime"]).Keys.Single());
        Assert.Equal("Linux", Values(byKey["os.name"]).Keys.Single());
        Assert.Contains("server_name", byKey.Keys);
    }

    [Fact]
    public async Task Dotnet_sdk_events_with_environment_release_and_users_give_facets()
    {
        var project = await NewProjectAsync();
        using (var client = new SentryClient(new SentryOptions
        {
            Dsn = project.Dsn(), Release = "billing@3.1.0", Environment = "staging", AutoSessionTracking = false, SendClientReports = false,
        }))
        {
            foreach (var (user, tier) in new[] { ("41", "pro"), ("42", "pro"), ("43", "free"), ("41", "pro") })
            {
                try { throw new InvalidOperationException("Invoice total is negative"); }
                catch (Exception e)
                {
                    var evt = new SentryEvent(e) { User = new SentryUser { Id = user, Email = $"user{user}@example.com" } };
                    evt.SetTag("tier", tier);
                    client.CaptureEvent(evt);
                }
            }
            await client.FlushAsync(TimeSpan.FromSeconds(30));
        }

        var issue = Assert.Single(await project.IssuesAsync());
        Assert.Equal(4, issue.GetProperty("eventCount").GetInt64());
        Assert.Equal(3, issue.GetProperty("usersAffected").GetInt64());
        var byKey = ByKey(await project.GetJsonAsync($"/api/issues/{issue.GetProperty("id").GetInt64()}/tags"));
        Assert.Equal(new Dictionary<string, long> { ["staging"] = 4 }, Values(byKey["environment"]));
        Assert.Equal(new Dictionary<string, long> { ["billing@3.1.0"] = 4 }, Values(byKey["release"]));
        Assert.Equal(new Dictionary<string, long> { ["id:41"] = 2, ["id:42"] = 1, ["id:43"] = 1 }, Values(byKey["user"]));
        Assert.Equal(new Dictionary<string, long> { ["pro"] = 3, ["free"] = 1 }, Values(byKey["tier"]));
        Assert.StartsWith(".NET", Values(byKey["runtime"]).Keys.Single());
        Assert.Contains("os", byKey.Keys);

        var found = await project.IssuesAsync("?query=" + Uri.EscapeDataString("environment:staging user.id:42 tier:pro users:3"));
        Assert.Single(found);
    }

    [Fact]
    public async Task All_values_of_one_key_come_in_pages_most_frequent_first()
    {
        var project = await NewProjectAsync();
        var events = new[] { "a", "b", "b", "c", "c", "c", "d", "e" }
            .Select(u => JsonSerializer.Serialize(new { message = "paged", user = new { username = u } }));
        using (var response = await project.PostEventAsync("[" + string.Join(',', events) + "]")) Assert.True(response.IsSuccessStatusCode);
        var id = Assert.Single(await project.IssuesAsync()).GetProperty("id").GetInt64();

        var seen = new List<(string, long)>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await project.GetJsonAsync($"/api/issues/{id}/tags/user?limit=2" + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.Equal(8, page.GetProperty("count").GetInt64());
            Assert.Equal(5, page.GetProperty("uniqueValues").GetInt64());
            seen.AddRange(page.GetProperty("values").EnumerateArray().Select(v => (v.GetProperty("value").GetString()!, v.GetProperty("count").GetInt64())));
            cursor = page.TryGetProperty("nextCursor", out var next) ? next.GetString() : null;
            pages++;
        } while (cursor is not null);
        Assert.Equal(3, pages);
        Assert.Equal([("username:c", 3L), ("username:b", 2L), ("username:a", 1L), ("username:d", 1L), ("username:e", 1L)], seen);

        foreach (var (path, status, words) in new[]
        {
            ($"/api/issues/{id}/tags/browser", HttpStatusCode.NotFound, "had the tag browser"),
            ($"/api/issues/{id}/tags/a%20b", HttpStatusCode.BadRequest, "key must be"),
            ($"/api/issues/{id}/tags/user?limit=0", HttpStatusCode.BadRequest, "limit must be"),
            ($"/api/issues/{id}/tags/user?cursor=nonsense", HttpStatusCode.BadRequest, "cursor is not one this server gave out."),
            ($"/api/issues/{id + 1000}/tags", HttpStatusCode.NotFound, "does not exist in this project"),
        })
        {
            using var response = await project.SendAsync(HttpMethod.Get, path);
            Assert.Equal(status, response.StatusCode);
            Assert.Contains(words, await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Tags_of_an_issue_are_only_for_its_own_project()
    {
        var owner = await NewProjectAsync();
        var other = await NewProjectAsync();
        await owner.IngestAsync(JsonSerializer.Serialize(new { message = "private", user = new { email = "secret@example.com" } }));
        var id = Assert.Single(await owner.IssuesAsync()).GetProperty("id").GetInt64();
        Assert.Contains("secret@example.com", (await owner.GetJsonAsync($"/api/issues/{id}/tags")).GetRawText());

        foreach (var path in new[] { $"/api/issues/{id}/tags", $"/api/issues/{id}/tags/user" })
        {
            using (var response = await other.SendAsync(HttpMethod.Get, path)) Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            using (var response = await owner.SendAsync(HttpMethod.Get, path, token: owner.PublicKey)) Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            using var anonymous = await fixture.Kestrel.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }
        Assert.Empty(await other.IssuesAsync("?query=" + Uri.EscapeDataString("user.email:secret@example.com")));
    }
}
