using Dapper;
using Kestrel.Issues;
using Kestrel.Issues.Pages;
using Kestrel.Platform;
using Kestrel.Search;
using Kestrel.Tests.Issues;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Search;

/// <summary>
/// Keyset paging with every sort and a search, over the REST/MCP list (<see cref="IssueStore.List"/>) and the web
/// UI's list (<see cref="IssueListQuery"/>), on a migrated database of each engine whose sort keys tie a lot: following the
/// cursors must give exactly the search's issues, each once, in (sort key, id) order.
/// </summary>
[Trait("Engine", "both")] // it picks its engines itself
public sealed class SearchPagingTests(SearchPagingTests.Seeded seeded) : IClassFixture<SearchPagingTests.Seeded>
{
    private const int Issues = 150;

    /// <summary>The same issues, in the same order (so with the same ids), in kestrel.db and in PostgreSQL.</summary>
    public sealed class Seeded : IAsyncLifetime
    {
        public List<EngineDatabase> Databases { get; private set; } = [];
        public List<(long Id, string Status, long[] Keys, bool Chrome, bool Production)> Issues { get; } = [];

        public async Task InitializeAsync() => Databases = await EngineDatabase.BothAsync(Seed);

        private void Seed(EngineDatabase db)
        {
            var project = db.Project("shop");
            using var connection = db.Database.Connect();
            using var transaction = connection.BeginTransaction();
            for (var i = 0; i < SearchPagingTests.Issues; i++)
            {
                // Few distinct values per sort key, so most page boundaries fall inside a run of equal keys.
                var (status, events, firstSeen, lastSeen, users) = (i % 10 == 9 ? "resolved" : "open", i % 4, 1000 + i % 5, 2000 + i % 3, i % 6);
                var id = connection.ExecuteScalar<long>("""
                    INSERT INTO issues (project_id, fingerprint, grouping_version, title, type, culprit, level, status, event_count, first_seen, last_seen, users_affected)
                    VALUES (@project, @fingerprint, 'v1', 'Error', 'Error', 'app.js', 'error', @status, @events, @firstSeen, @lastSeen, @users) RETURNING id
                    """, new { project, fingerprint = $"f{i}", status, events, firstSeen, lastSeen, users }, transaction);
                var (chrome, production) = (i % 3 != 0, i % 2 == 0);
                foreach (var (key, value) in new[] { ("browser", chrome ? "Chrome 130" : "Firefox 132"), ("environment", production ? "production" : "staging") })
                    connection.Execute("INSERT INTO issue_tags (issue_id, key, value, project_id, count, first_seen, last_seen) VALUES (@id, @key, @value, @project, 1, 0, 0)",
                        new { id, key, value, project }, transaction);
                if (db.Engine == Engines.Sqlite) Issues.Add((id, status, [lastSeen, firstSeen, events, users], chrome, production));
                else Assert.Equal(Issues[i].Id, id);
            }
            transaction.Commit();
        }

        public Task DisposeAsync()
        {
            foreach (var db in Databases) db.Dispose();
            return Task.CompletedTask;
        }
    }

    public static TheoryData<int, string> Sorts() => new()
    {
        { 0, "browser:\"Chrome 130\" !environment:production" },
        { 1, "browser:\"Chrome 130\" !environment:production" },
        { 2, "browser:\"Chrome 130\" !environment:production" },
        { 3, "browser:\"Chrome 130\" !environment:production" },
        { 3, "!browser:\"Chrome 130\" users:<=3" },
        { 2, "environment:production timesSeen:<3 is:open" },
    };

    private static readonly string[] ApiSorts = ["lastSeen", "firstSeen", "eventCount", "users"];
    private static readonly string[] WebSorts = ["last_seen", "first_seen", "events", "users"];

    private List<long> Expected(int sort, string text, string? status) =>
        seeded.Issues.Where(i => Matches(text, i.Chrome, i.Production, i.Keys, i.Status) && (status is null || i.Status == status))
            .OrderByDescending(i => i.Keys[sort]).ThenByDescending(i => i.Id).Select(i => i.Id).ToList();

    private static bool Matches(string text, bool chrome, bool production, long[] keys, string status) => text switch
    {
        "browser:\"Chrome 130\" !environment:production" => chrome && !production,
        "!browser:\"Chrome 130\" users:<=3" => !chrome && keys[3] <= 3,
        _ => production && keys[2] < 3 && status == "open",
    };

    [Theory]
    [MemberData(nameof(Sorts))]
    public void The_api_list_pages_through_a_search_in_every_sort(int sort, string text)
    {
        Assert.Null(SearchParser.TryParse(text, out var query));
        var expected = Expected(sort, text, null);
        Assert.True(expected.Count > 14, "the search should span several pages");
        foreach (var db in seeded.Databases)
        {
            var store = new IssueStore(db.Database, writer: null);
            var paged = new List<long>();
            string? cursor = null;
            do
            {
                var page = store.List(1, new IssueQuery(null, null, query, 7, cursor, ApiSorts[sort]), DateTimeOffset.UtcNow);
                Assert.InRange(page.Issues.Count, 1, 7);
                paged.AddRange(page.Issues.Select(i => i.Id));
                cursor = page.NextCursor;
            } while (cursor is not null);
            Assert.True(expected.SequenceEqual(paged), db.Engine);
        }
    }

    [Theory]
    [MemberData(nameof(Sorts))]
    public void The_web_list_pages_through_a_search_in_every_sort(int sort, string text)
    {
        Assert.Null(SearchParser.TryParse(text, out var query));
        var expected = Expected(sort, text, "open");
        Assert.True(expected.Count > IssueListQuery.PageSize, "the search should span several pages");
        foreach (var db in seeded.Databases)
        {
            var list = new IssueListQuery(db.Database);
            var paged = new List<long>();
            string? cursor = null;
            do
            {
                var page = list.Run(1, new IssueListFilter("open", text, WebSorts[sort], cursor) { Query = query }, DateTimeOffset.UtcNow);
                paged.AddRange(page.Issues.Select(i => i.Id));
                Assert.Equal(expected.Count, page.Counts["open"]);
                cursor = page.NextCursor;
            } while (cursor is not null);
            Assert.True(expected.SequenceEqual(paged), db.Engine);
        }
    }
}
