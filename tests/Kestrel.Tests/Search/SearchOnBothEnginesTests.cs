using Kestrel.Issues;
using Kestrel.Search;
using Kestrel.Tests.Issues;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Search;

/// <summary>
/// Every search form (PRODUCT §15) over the same rows in SQLite and in PostgreSQL, through <see cref="IssueStore.List"/>:
/// both engines find exactly the same issues. Where the dialects differ (LIKE ignores ASCII case on SQLite only, a bare
/// 0 is not a condition on PostgreSQL) this is what holds the two statements to one behaviour.
/// </summary>
[Trait("Engine", "both")] // it picks its engines itself
public sealed class SearchOnBothEnginesTests(SearchOnBothEnginesTests.SameRows rows) : IClassFixture<SearchOnBothEnginesTests.SameRows>
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Project "shop": Checkout (production, releases 1.0 and 2.0, Chrome 130, users id:1 and id:2, regressed, 3 events),
    /// Login (staging, 1.0, Firefox 132 on Linux, ann@example.com), Payment (production, 120 events, "100%_off" in its title),
    /// Search (resolved, note "two words here"), Old (first seen 10 days ago, last 8), Latest (release 3.0), Ignored
    /// (ignored, dev, level warning), Arger (a non-ASCII title). Project "other" has a Checkout of its own and release 9.0;
    /// project "bare" has no release at all.
    /// </summary>
    public sealed class SameRows : IAsyncLifetime
    {
        public List<EngineDatabase> Databases { get; private set; } = [];
        public long Shop { get; private set; }
        public long Bare { get; private set; }
        public Dictionary<long, string> Names { get; } = [];

        public async Task InitializeAsync() => Databases = await EngineDatabase.BothAsync(Seed);

        private void Seed(EngineDatabase db)
        {
            var hour = 3_600_000L;
            var now = Now.ToUnixTimeMilliseconds();
            Shop = db.Project("shop");
            var other = db.Project("other");
            Bare = db.Project("bare");
            foreach (var release in new[] { "1.0", "2.0", "3.0" }) Release(db, Shop, release);
            Release(db, other, "9.0");

            var checkout = Issue(db, Shop, "CheckoutError", "CheckoutError: CheckoutError happened", "runCheckout(app.js)", events: 3, users: 2,
                firstSeen: now - 2 * hour, lastSeen: now - hour / 12, regressedAt: now - hour / 12);
            Tags(db, Shop, checkout, ("level", "error"), ("environment", "production"), ("release", "1.0"), ("release", "2.0"),
                ("browser", "Chrome 130"), ("browser.name", "Chrome"), ("user", "id:1"), ("user", "id:2"), ("user.id", "1"), ("user.id", "2"),
                ("url", "https://shop.test/checkout"));
            var login = Issue(db, Shop, "LoginError", "LoginError: LoginError happened", "runLogin(app.js)", users: 1, firstSeen: now - 3 * hour, lastSeen: now - 3 * hour);
            Tags(db, Shop, login, ("level", "error"), ("environment", "staging"), ("release", "1.0"), ("browser", "Firefox 132"),
                ("browser.name", "Firefox"), ("os", "Linux"), ("user", "email:ann@example.com"), ("user.email", "ann@example.com"),
                ("url", "https://shop.test/login?next=/"));
            var payment = Issue(db, Shop, "PaymentError", "PaymentError: 100%_off failed", "runPayment(app.js)", events: 120, firstSeen: now - 4 * hour, lastSeen: now - hour);
            Tags(db, Shop, payment, ("level", "error"), ("environment", "production"));
            var search = Issue(db, Shop, "SearchError", "SearchError: SearchError happened", "runSearch(app.js)", status: "resolved", firstSeen: now - 5 * hour, lastSeen: now - 5 * hour);
            Tags(db, Shop, search, ("level", "error"), ("note", "two words here"));
            var old = Issue(db, Shop, "OldError", "OldError: OldError happened", "runOld(app.js)", firstSeen: now - 240 * hour, lastSeen: now - 192 * hour);
            Tags(db, Shop, old, ("level", "error"));
            var latest = Issue(db, Shop, "LatestError", "LatestError: LatestError happened", "runLatest(app.js)", firstSeen: now - hour / 60, lastSeen: now - hour / 60);
            Tags(db, Shop, latest, ("level", "error"), ("release", "3.0"));
            var ignored = Issue(db, Shop, "IgnoredError", "IgnoredError: IgnoredError happened", "runIgnored(app.js)", status: "ignored", events: 2,
                firstSeen: now - 6 * hour, lastSeen: now - 6 * hour);
            Tags(db, Shop, ignored, ("level", "warning"), ("environment", "dev"));
            var arger = Issue(db, Shop, "ArgerError", "ArgerError: Ärger happened", "runÄrger(app.js)", firstSeen: now - 7 * hour, lastSeen: now - 7 * hour);
            Tags(db, Shop, arger, ("level", "error"));

            var elsewhere = Issue(db, other, "CheckoutError", "CheckoutError: CheckoutError happened", "runCheckout(app.js)", firstSeen: now - hour, lastSeen: now - hour);
            Tags(db, other, elsewhere, ("level", "error"), ("environment", "production"), ("release", "9.0"));
            var plain = Issue(db, Bare, "BareError", "BareError: BareError happened", "runBare(app.js)", firstSeen: now - hour, lastSeen: now - hour);
            Tags(db, Bare, plain, ("level", "error"));
            if (db.Engine == Engines.Postgres) Assert.Equal(10, Names.Count); // the same ids on both engines, added once by SQLite
        }

        private long Issue(EngineDatabase db, long project, string name, string title, string culprit, long firstSeen, long lastSeen,
            string status = "open", long events = 1, long users = 0, long? regressedAt = null)
        {
            var id = db.Scalar("""
                INSERT INTO issues (project_id, fingerprint, grouping_version, title, type, culprit, level, status, event_count, first_seen, last_seen,
                                    regressed_at, users_affected)
                VALUES (@project, @name, 'v1', @title, @name, @culprit, 'error', @status, @events, @firstSeen, @lastSeen, @regressedAt, @users)
                RETURNING id
                """, new { project, name, title, culprit, status, events, firstSeen, lastSeen, regressedAt, users });
            if (Names.TryGetValue(id, out var known)) Assert.Equal(known, name);
            else Names[id] = name;
            return id;
        }

        private static void Tags(EngineDatabase db, long project, long issue, params (string Key, string Value)[] tags)
        {
            foreach (var (key, value) in tags)
                db.Execute("INSERT INTO issue_tags (issue_id, key, value, project_id, count, first_seen, last_seen) VALUES (@issue, @key, @value, @project, 1, 0, 0)",
                    new { issue, key, value, project });
        }

        private static void Release(EngineDatabase db, long project, string name) =>
            db.Execute("INSERT INTO releases (project_id, name, created_at) VALUES (@project, @name, 0)", new { project, name });

        public Task DisposeAsync()
        {
            foreach (var database in Databases) database.Dispose();
            return Task.CompletedTask;
        }
    }

    private static IssueQuery Query(string text, int limit = 200, string? cursor = null, string sort = "lastSeen")
    {
        Assert.Null(SearchParser.TryParse(text, out var query));
        return new IssueQuery(null, null, query, limit, cursor, sort);
    }

    private string[] Found(EngineDatabase db, string text, long? project = null) =>
        new IssueStore(db.Database, writer: null).List(project ?? rows.Shop, Query(text), Now).Issues
            .Select(i => rows.Names[i.Id]).Order(StringComparer.Ordinal).ToArray();

    [Theory]
    [InlineData("", "ArgerError CheckoutError IgnoredError LatestError LoginError OldError PaymentError SearchError")]
    [InlineData("is:resolved", "SearchError")]
    [InlineData("is:ignored", "IgnoredError")]
    [InlineData("is:unresolved", "ArgerError CheckoutError LatestError LoginError OldError PaymentError")]
    [InlineData("is:open", "ArgerError CheckoutError LatestError LoginError OldError PaymentError")]
    [InlineData("is:regressed", "CheckoutError")]
    [InlineData("!is:regressed is:open", "ArgerError LatestError LoginError OldError PaymentError")]
    [InlineData("level:error", "ArgerError CheckoutError LatestError LoginError OldError PaymentError SearchError")]
    [InlineData("level:ERROR", "")]
    [InlineData("environment:production", "CheckoutError PaymentError")]
    [InlineData("!environment:production", "ArgerError IgnoredError LatestError LoginError OldError SearchError")]
    [InlineData("environment:prod*", "CheckoutError PaymentError")]
    [InlineData("environment:*AGING", "LoginError")]
    [InlineData("environment:PROD*", "CheckoutError PaymentError")]
    [InlineData("environment:prod_*", "")]
    [InlineData("!environment:*O*", "ArgerError IgnoredError LatestError LoginError OldError SearchError")]
    [InlineData("browser:\"Chrome 130\"", "CheckoutError")]
    [InlineData("browser:\"chrome 130\"", "")]
    [InlineData("browser.name:Firefox os:Linux", "LoginError")]
    [InlineData("url:https://shop.test/login?next=/", "LoginError")]
    [InlineData("url:*shop.test*", "CheckoutError LoginError")]
    [InlineData("note:\"two words here\"", "SearchError")]
    [InlineData("has:user", "CheckoutError LoginError")]
    [InlineData("!has:user", "ArgerError IgnoredError LatestError OldError PaymentError SearchError")]
    [InlineData("user.email:ann@example.com", "LoginError")]
    [InlineData("user.id:2", "CheckoutError")]
    [InlineData("user:id:1", "CheckoutError")]
    [InlineData("release:latest", "LatestError")]
    [InlineData("!release:latest has:release", "CheckoutError LoginError")]
    [InlineData("release:1.0", "CheckoutError LoginError")]
    [InlineData("release:9.0", "")]
    [InlineData("timesSeen:>100", "PaymentError")]
    [InlineData("timesSeen:3", "CheckoutError")]
    [InlineData("timesSeen:>=2 timesSeen:<100", "CheckoutError IgnoredError")]
    [InlineData("timesSeen:<=1 !is:resolved", "ArgerError LatestError LoginError OldError")]
    [InlineData("users:>1", "CheckoutError")]
    [InlineData("users:1", "LoginError")]
    [InlineData("users:0", "ArgerError IgnoredError LatestError OldError PaymentError SearchError")]
    [InlineData("firstSeen:+7d", "OldError")]
    [InlineData("firstSeen:-24h", "ArgerError CheckoutError IgnoredError LatestError LoginError PaymentError SearchError")]
    [InlineData("!firstSeen:-24h", "OldError")]
    [InlineData("lastSeen:+1w", "OldError")]
    [InlineData("lastSeen:-9d", "ArgerError CheckoutError IgnoredError LatestError LoginError OldError PaymentError SearchError")]
    [InlineData("lastSeen:-30m", "CheckoutError LatestError")]
    [InlineData("Payment", "PaymentError")]
    [InlineData("payment", "PaymentError")]
    [InlineData("PAYMENT", "PaymentError")]
    [InlineData("100%_off", "PaymentError")]
    [InlineData("0%_o", "PaymentError")]
    [InlineData("100%x", "")]
    [InlineData("100_%off", "")]
    [InlineData("Ärger", "ArgerError")]
    [InlineData("ärger", "")] // neither engine folds non-ASCII letters (SQLite's LIKE; ILIKE in the C locale)
    [InlineData("RGER", "ArgerError")]
    [InlineData("\"Login happened\"", "")]
    [InlineData("\"LoginError: LoginError happened\"", "LoginError")]
    [InlineData("runCheckout", "CheckoutError")]
    [InlineData("!Payment !Search is:unresolved", "ArgerError CheckoutError LatestError LoginError OldError")]
    [InlineData("environment:production timesSeen:<100", "CheckoutError")]
    [InlineData("browser:Chrome", "")]
    [InlineData("nosuchkey:x", "")]
    public void Each_form_finds_exactly_its_issues_on_both_engines(string query, string expected)
    {
        foreach (var db in rows.Databases)
            Assert.True(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries).SequenceEqual(Found(db, query)),
                $"{db.Engine}: '{query}' found [{string.Join(' ', Found(db, query))}], expected [{expected}]");
    }

    [Theory]
    [InlineData("release:latest", "")]
    [InlineData("!release:latest", "BareError")]
    [InlineData("!release:latest level:error", "BareError")]
    public void A_project_without_releases_has_no_issue_in_its_latest_release(string query, string expected)
    {
        foreach (var db in rows.Databases)
            Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries), Found(db, query, rows.Bare));
    }

    [Theory]
    [InlineData("lastSeen")]
    [InlineData("firstSeen")]
    [InlineData("eventCount")]
    [InlineData("users")]
    public void Every_sort_pages_through_the_same_order_on_both_engines(string sort)
    {
        var orders = rows.Databases.Select(db =>
        {
            var store = new IssueStore(db.Database, writer: null);
            var all = store.List(rows.Shop, Query("!is:resolved", sort: sort), Now).Issues.Select(i => i.Id).ToList();
            var paged = new List<long>();
            string? cursor = null;
            do
            {
                var page = store.List(rows.Shop, Query("!is:resolved", limit: 2, cursor: cursor, sort: sort), Now);
                paged.AddRange(page.Issues.Select(i => i.Id));
                cursor = page.NextCursor;
            } while (cursor is not null);
            Assert.Equal(all, paged);
            return all;
        }).ToList();
        Assert.Equal(7, orders[0].Count);
        Assert.Equal(orders[0], orders[1]);
    }
}
