using System.Net;
using System.Text.Json;
using Dapper;
using Kestrel.Platform;
using Kestrel.Tests.Support;
using Npgsql;

namespace Kestrel.Tests.Search;

/// <summary>
/// Every search form through <c>GET /api/issues?query=</c> of the real server, against a known set of
/// issues made by ingesting events (and, for the old one, by moving its times back in the database).
/// </summary>
public sealed class SearchApiTests(SearchApiTests.KnownIssues known) : IClassFixture<SearchApiTests.KnownIssues>
{
    /// <summary>
    /// Checkout: production, releases 1.0 then 2.0, Chrome 130, users id:1 and id:2, resolved then regressed.
    /// Login: staging, release 1.0, Firefox 132, user email:ann@example.com. Payment: production, 120 events, no release.
    /// Search: resolved, tagged note "two words here". Old: first seen 10 days ago, last seen 8. Latest: release 3.0, sent last.
    /// </summary>
    public sealed class KnownIssues : IAsyncLifetime
    {
        public KestrelServer Server { get; private set; } = null!;
        public TestProject Project { get; private set; } = null!;
        public Dictionary<string, long> Ids { get; } = [];

        public async Task InitializeAsync()
        {
            Server = await KestrelServer.StartAsync();
            Project = await Server.CreateProjectAsync("search");
            const string chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
            const string firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";
            await Project.IngestAsync(Event("CheckoutError", environment: "production", release: "1.0", agent: chrome, user: new { id = "1" }));
            await Project.IngestAsync(Event("CheckoutError", environment: "production", release: "1.0", agent: chrome, user: new { id = "2" }));
            await Project.IngestAsync(Event("LoginError", environment: "staging", release: "1.0", agent: firefox, user: new { email = "ann@example.com" }, url: "https://shop.test/login?next=/"));
            var payments = Enumerable.Range(0, 120).Select(_ => Event("PaymentError", environment: "production")).ToList();
            foreach (var chunk in payments.Chunk(100))
                using (var response = await Project.PostEventAsync("[" + string.Join(',', chunk) + "]")) Assert.True(response.IsSuccessStatusCode);
            await Project.IngestAsync(Event("SearchError", tags: new { note = "two words here" }));
            await Project.IngestAsync(Event("OldError"));
            foreach (var issue in await Project.IssuesAsync("?limit=200")) Ids[issue.GetProperty("type").GetString()!] = issue.GetProperty("id").GetInt64();

            await Project.PatchAsync(Ids["SearchError"], new { status = "resolved" });
            await Project.PatchAsync(Ids["CheckoutError"], new { status = "resolved" });
            await Project.IngestAsync(Event("CheckoutError", environment: "production", release: "2.0", agent: chrome, user: new { id = "1" }));
            await Project.IngestAsync(Event("LatestError", release: "3.0"));
            Ids["LatestError"] = (await Project.IssuesAsync()).First().GetProperty("id").GetInt64();

            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var moveBack = $"UPDATE issues SET first_seen = {now - 10 * 86_400_000L}, last_seen = {now - 8 * 86_400_000L} WHERE id = {Ids["OldError"]};";
            // As an operator would: sqlite3 on kestrel.db, or SQL on the PostgreSQL database of a PostgreSQL test run.
            if (Engines.DatabaseUrlFor(Server.DataDirectory) is { } url)
            {
                await using var postgres = new NpgsqlConnection(PostgresUrl.ToConnectionString(url));
                await postgres.ExecuteAsync(moveBack);
            }
            else await Tool.RunOkAsync("sqlite3", Path.Combine(Server.DataDirectory, "kestrel.db"), ".timeout 10000", moveBack);
        }

        public async Task DisposeAsync() => await Server.DisposeAsync();

        private static string Event(string type, string? environment = null, string? release = null, string? agent = null, object? user = null,
            string? url = null, object? tags = null) =>
            JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["level"] = "error",
                ["platform"] = "javascript",
                ["environment"] = environment,
                ["release"] = release,
                ["user"] = user,
                ["tags"] = tags,
                ["request"] = agent is null ? null : new { url = url ?? "https://shop.test/checkout", headers = new Dictionary<string, string> { ["User-Agent"] = agent } },
                ["exception"] = new { values = new[] { new { type, value = type + " happened", stacktrace = new { frames = new[] { new { function = "run" + type, filename = "app.js", lineno = 3, in_app = true } } } } } },
            }.Where(p => p.Value is not null).ToDictionary());
    }

    private async Task<string[]> Found(string query, string extra = "")
    {
        var issues = await known.Project.IssuesAsync("?limit=200&query=" + Uri.EscapeDataString(query) + extra);
        return issues.Select(i => i.GetProperty("type").GetString()!).Order(StringComparer.Ordinal).ToArray();
    }

    [Theory]
    [InlineData("", "CheckoutError LatestError LoginError OldError PaymentError SearchError")]
    [InlineData("is:resolved", "SearchError")]
    [InlineData("is:unresolved", "CheckoutError LatestError LoginError OldError PaymentError")]
    [InlineData("is:open", "CheckoutError LatestError LoginError OldError PaymentError")]
    [InlineData("is:regressed", "CheckoutError")]
    [InlineData("!is:regressed is:open", "LatestError LoginError OldError PaymentError")]
    [InlineData("level:error", "CheckoutError LatestError LoginError OldError PaymentError SearchError")]
    [InlineData("environment:production", "CheckoutError PaymentError")]
    [InlineData("!environment:production", "LatestError LoginError OldError SearchError")]
    [InlineData("environment:prod*", "CheckoutError PaymentError")]
    [InlineData("environment:*AGING", "LoginError")]
    [InlineData("browser:\"Chrome 130\"", "CheckoutError")]
    [InlineData("browser.name:Firefox os:Linux", "LoginError")]
    [InlineData("url:https://shop.test/login", "LoginError")]
    [InlineData("url:*shop.test*", "CheckoutError LoginError")]
    [InlineData("note:\"two words here\"", "SearchError")]
    [InlineData("has:user", "CheckoutError LoginError")]
    [InlineData("!has:user", "LatestError OldError PaymentError SearchError")]
    [InlineData("user.email:ann@example.com", "LoginError")]
    [InlineData("user.id:2", "CheckoutError")]
    [InlineData("user:id:1", "CheckoutError")]
    [InlineData("release:latest", "LatestError")]
    [InlineData("!release:latest has:release", "CheckoutError LoginError")]
    [InlineData("release:1.0", "CheckoutError LoginError")]
    [InlineData("release:2.0", "CheckoutError")]
    [InlineData("timesSeen:>100", "PaymentError")]
    [InlineData("timesSeen:3", "CheckoutError")]
    [InlineData("timesSeen:<=1 !is:resolved", "LatestError LoginError OldError")]
    [InlineData("users:>1", "CheckoutError")]
    [InlineData("users:1", "LoginError")]
    [InlineData("users:0", "LatestError OldError PaymentError SearchError")]
    [InlineData("firstSeen:+7d", "OldError")]
    [InlineData("firstSeen:-24h", "CheckoutError LatestError LoginError PaymentError SearchError")]
    [InlineData("lastSeen:+1w", "OldError")]
    [InlineData("lastSeen:-9d", "CheckoutError LatestError LoginError OldError PaymentError SearchError")]
    [InlineData("Payment", "PaymentError")]
    [InlineData("\"Login happened\"", "")]
    [InlineData("\"LoginError: LoginError happened\"", "LoginError")]
    [InlineData("runCheckout", "CheckoutError")]
    [InlineData("!Payment !Search is:unresolved", "CheckoutError LatestError LoginError OldError")]
    [InlineData("environment:production timesSeen:<100", "CheckoutError")]
    [InlineData("browser:Chrome", "")]
    [InlineData("nosuchkey:x", "")]
    public async Task Each_form_finds_exactly_its_issues(string query, string expected) =>
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries), await Found(query));

    [Fact]
    public async Task Query_and_status_parameters_combine()
    {
        Assert.Equal(["CheckoutError", "PaymentError"], await Found("environment:production", "&status=open&since=2000-01-01"));
        Assert.Empty(await Found("is:resolved", "&status=open"));
    }

    [Theory]
    [InlineData("users", "CheckoutError")]
    [InlineData("eventCount", "PaymentError")]
    [InlineData("firstSeen", "LatestError")]
    [InlineData("lastSeen", "LatestError")]
    public async Task Sorts_put_the_largest_or_newest_first_and_every_page_follows_with_the_query(string sort, string first)
    {
        var all = await known.Project.IssuesAsync($"?limit=200&sort={sort}&query=is:unresolved");
        Assert.Equal(first, all[0].GetProperty("type").GetString());

        var paged = new List<long>();
        string? cursor = null;
        do
        {
            var page = await known.Project.GetJsonAsync($"/api/issues?limit=2&sort={sort}&query=is:unresolved" + (cursor is null ? "" : "&cursor=" + cursor));
            paged.AddRange(page.GetProperty("issues").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()));
            cursor = page.TryGetProperty("nextCursor", out var next) ? next.GetString() : null;
        } while (cursor is not null);
        Assert.Equal(all.Select(i => i.GetProperty("id").GetInt64()), paged);
    }

    [Fact]
    public async Task Issues_carry_users_affected_and_first_and_last_release()
    {
        var checkout = await known.Project.GetJsonAsync($"/api/issues/{known.Ids["CheckoutError"]}");
        Assert.Equal(2, checkout.GetProperty("usersAffected").GetInt64());
        Assert.Equal("1.0", checkout.GetProperty("firstRelease").GetString());
        Assert.Equal("2.0", checkout.GetProperty("lastRelease").GetString());
        var payment = await known.Project.GetJsonAsync($"/api/issues/{known.Ids["PaymentError"]}");
        Assert.Equal(0, payment.GetProperty("usersAffected").GetInt64());
        Assert.False(payment.TryGetProperty("firstRelease", out _));
    }

    [Theory]
    [InlineData("timesSeen:>lots", "'timesSeen:>lots'")]
    [InlineData("is:fixed", "'is:fixed'")]
    [InlineData("browser:\"Chrome", "'browser:\"Chrome'")]
    [InlineData("firstSeen:yesterday", "'firstSeen:yesterday'")]
    [InlineData("Payment a/b:c", "'a/b'")]
    public async Task Malformed_queries_are_400_naming_the_term(string query, string named)
    {
        using var response = await known.Project.SendAsync(HttpMethod.Get, "/api/issues?query=" + Uri.EscapeDataString(query));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;
        Assert.StartsWith("The search term", error);
        Assert.Contains(named, error);
    }

    [Fact]
    public async Task An_unknown_sort_is_400()
    {
        using var response = await known.Project.SendAsync(HttpMethod.Get, "/api/issues?sort=title");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("sort must be lastSeen, firstSeen, eventCount or users.", await response.Content.ReadAsStringAsync());
    }
}
