using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Issues;

public sealed class IssueApiTests
{
    [Fact]
    public async Task A_token_never_reads_lists_or_changes_another_projects_issues()
    {
        await using var server = await KestrelServer.StartAsync();
        var alpha = await server.CreateProjectAsync("alpha");
        var beta = await server.CreateProjectAsync("beta");
        await alpha.IngestAsync(Events.Exception("AlphaError", "secret of alpha"));
        await beta.IngestAsync(Events.Exception("BetaError", "beta"));
        var alphaIssue = Assert.Single(await alpha.IssuesAsync()).GetProperty("id").GetInt64();

        var betaList = await beta.IssuesAsync();
        Assert.Equal("BetaError", Assert.Single(betaList).GetProperty("type").GetString());

        foreach (var (method, path, content) in new (HttpMethod, string, HttpContent?)[]
        {
            (HttpMethod.Get, $"/api/issues/{alphaIssue}", null),
            (HttpMethod.Get, $"/api/issues/{alphaIssue}/events", null),
            (HttpMethod.Patch, $"/api/issues/{alphaIssue}", JsonContent.Create(new { status = "resolved" })),
        })
        {
            using var response = await beta.SendAsync(method, path, content);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        var untouched = await alpha.GetJsonAsync($"/api/issues/{alphaIssue}");
        Assert.Equal("open", untouched.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Pages_follow_the_cursor_newest_first_without_gaps_or_repeats()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var batch = "[" + string.Join(',', Enumerable.Range(0, 23).Select(i => Events.Exception("PageError", "x", function: "f" + i))) + "]";
        using (var response = await project.PostEventAsync(batch)) Assert.True(response.IsSuccessStatusCode);
        // A later event makes f5 the newest.
        await project.IngestAsync(Events.Exception("PageError", "x", function: "f5"));

        var seen = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await project.GetJsonAsync("/api/issues?limit=10" + (cursor is null ? "" : "&cursor=" + cursor));
            seen.AddRange(page.GetProperty("issues").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()));
            cursor = page.TryGetProperty("nextCursor", out var next) ? next.GetString() : null;
            pages++;
        } while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(23, seen.Distinct().Count());
        Assert.Equal(23, seen.Count);
        var first = await project.GetJsonAsync($"/api/issues/{seen[0]}");
        Assert.Equal("app/handler.py in f5", first.GetProperty("culprit").GetString());
    }

    [Fact]
    public async Task Filters_by_status_since_and_query()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.IngestAsync(Events.Exception("PaymentError", "card declined", function: "charge"));
        await project.IngestAsync(Events.Exception("SearchError", "index missing", function: "search"));
        var payment = (await project.IssuesAsync("?query=card")).Single().GetProperty("id").GetInt64();
        await project.PatchAsync(payment, new { status = "resolved" });

        Assert.Equal("SearchError", Assert.Single(await project.IssuesAsync("?status=open")).GetProperty("type").GetString());
        Assert.Equal(payment, Assert.Single(await project.IssuesAsync("?status=resolved")).GetProperty("id").GetInt64());
        Assert.Equal("SearchError", Assert.Single(await project.IssuesAsync("?query=search")).GetProperty("type").GetString()); // culprit match
        Assert.Empty(await project.IssuesAsync("?query=%25")); // % is literal, not a wildcard
        Assert.Equal(2, (await project.IssuesAsync("?since=2000-01-01T00:00:00Z")).Length);
        Assert.Empty(await project.IssuesAsync("?since=2999-01-01T00:00:00Z"));
        Assert.Empty(await project.IssuesAsync("?since=2999-01-01T00:00:00.5%2B02:00"));
        Assert.Equal(2, (await project.IssuesAsync("?since=2000-01-01")).Length);
    }

    [Theory]
    [InlineData("/api/issues?limit=0", "limit")]
    [InlineData("/api/issues?limit=201", "limit")]
    [InlineData("/api/issues?status=closed", "status")]
    [InlineData("/api/issues?since=yesterday", "since")]
    [InlineData("/api/issues?since=01/02/2026", "since")]
    [InlineData("/api/issues?cursor=forged", "cursor")]
    public async Task Bad_list_parameters_are_400(string path, string named)
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        using var response = await project.SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(named, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("{\"status\":\"closed\"}", "status")]
    [InlineData("{\"status\":\"resolved\",\"commit_sha\":\"xyz\"}", "commit_sha")]
    [InlineData("not json", "JSON object")]
    public async Task Bad_status_changes_are_400_and_change_nothing(string body, string named)
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.IngestAsync(Events.Message("hello"));
        var id = Assert.Single(await project.IssuesAsync()).GetProperty("id").GetInt64();
        using var response = await project.SendAsync(HttpMethod.Patch, $"/api/issues/{id}", new StringContent(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(named, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        Assert.Equal("open", (await project.GetJsonAsync($"/api/issues/{id}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Reopening_clears_the_resolution_and_an_unknown_issue_is_404()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.IngestAsync(Events.Message("hello"));
        var id = Assert.Single(await project.IssuesAsync()).GetProperty("id").GetInt64();
        await project.PatchAsync(id, new { status = "resolved", commit_sha = "ABCDEF1234" });
        var reopened = await project.PatchAsync(id, new { status = "open" });
        Assert.False(reopened.TryGetProperty("resolution", out _));

        using var missing = await project.SendAsync(HttpMethod.Get, "/api/issues/999999");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Events_of_an_issue_page_newest_first()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add(await project.IngestAsync(Events.Message("tick " + i)));
        var issue = Assert.Single(await project.IssuesAsync()).GetProperty("id").GetInt64();

        var first = await project.GetJsonAsync($"/api/issues/{issue}/events?limit=3");
        var second = await project.GetJsonAsync($"/api/issues/{issue}/events?limit=3&cursor={first.GetProperty("nextCursor").GetString()}");
        var listed = first.GetProperty("events").EnumerateArray().Concat(second.GetProperty("events").EnumerateArray())
            .Select(e => e.GetProperty("id").GetString()).ToList();
        Assert.Equal(Enumerable.Reverse(ids), listed);
        Assert.False(second.TryGetProperty("nextCursor", out _));
    }
}
