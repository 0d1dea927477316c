using System.Text;
using Kestrel.Ingest;
using Kestrel.Issues;
using Kestrel.Issues.Pages;
using Kestrel.Mcp;
using Kestrel.Projects.Pages;
using Kestrel.Search;
using Kestrel.Tags;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Issues;

/// <summary>
/// The read stores of issues, tags, MCP and the web UI, and the status and note writes of <c>kestrel mcp</c> (no server
/// writer), in process against kestrel.db and against a real PostgreSQL: the same rows give the same answers.
/// </summary>
[Trait("Engine", "both")] // it picks its engines itself
public sealed class IssueStoresOnBothEnginesTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 30, 0, TimeSpan.Zero);
    private const long Hour = 3_600_000;

    private sealed record Seeded(EngineDatabase Db, long Project, long Cart, long Login);

    /// <summary>A project with a Cart issue (3 events, the middle one with two feedback reports, tags, hourly counts) and a resolved Login issue.</summary>
    private static async Task<Seeded> SeedAsync(string engine)
    {
        var db = await EngineDatabase.CreateAsync(engine);
        var now = Now.ToUnixTimeMilliseconds();
        var project = db.Project("shop");
        db.Execute("INSERT INTO releases (project_id, name, created_at) VALUES (@project, '1.0', 0)", new { project });
        long Issue(string type, string culprit, string status, long events) => db.Scalar("""
            INSERT INTO issues (project_id, fingerprint, grouping_version, title, type, culprit, level, status, event_count, first_seen, last_seen, resolved_at)
            VALUES (@project, @type, 'v1', @title, @type, @culprit, 'error', @status, @events, @first, @last, @resolvedAt) RETURNING id
            """, new { project, type, title = type + ": it broke", culprit, status, events, first = now - 30 * Hour, last = now - Hour,
                resolvedAt = status == "resolved" ? now - 2 * Hour : (long?)null });
        var cart = Issue("CartError", "app/Cart.js", "open", 3);
        var login = Issue("LoginError", "app/login.js", "resolved", 1);
        for (var n = 1; n <= 3; n++)
            db.Execute("INSERT INTO events (project_id, issue_id, event_id, received_at, occurred_at, level, payload) VALUES (@project, @cart, @eventId, @at, @at, 'error', @payload)",
                new { project, cart, eventId = EventId(n), at = now - (4 - n) * Hour, payload = StoredPayload.Compress(Encoding.UTF8.GetBytes($$"""{"event_id":"{{EventId(n)}}","message":"event {{n}}"}""")).ToArray() });
        foreach (var (name, at) in new[] { ("Ann", 1L), ("Bob", 2L) })
            db.Execute("INSERT INTO user_feedback (project_id, event_id, name, email, comments, url, received_at) VALUES (@project, @eventId, @name, 'x@example.com', 'broken', '', @at)",
                new { project, eventId = EventId(2), name, at });
        foreach (var (hour, count) in new[] { (now / Hour * Hour, 2L), (now / Hour * Hour - 5 * Hour, 1L), (now / Hour * Hour - 48 * Hour, 7L) })
            db.Execute("INSERT INTO issue_hourly (issue_id, hour, count) VALUES (@cart, @hour, @count)", new { cart, hour, count });
        foreach (var (key, value, count) in new[] { ("browser", "Chrome", 2L), ("browser", "Firefox", 2L), ("browser", "Safari", 5L), ("release", "1.0", 3L), ("level", "error", 9L) })
            db.Execute("INSERT INTO issue_tags (issue_id, key, value, project_id, count, first_seen, last_seen) VALUES (@cart, @key, @value, @project, @count, 0, @now)",
                new { cart, key, value, project, count, now });
        return new Seeded(db, project, cart, login);
    }

    // Hex with letters, to show that a completion typed in upper case finds them.
    private static string EventId(int n) => (0xabc0 + n).ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    [Theory, MemberData(nameof(Engines.Both), MemberType = typeof(Engines))]
    public async Task Events_feedback_detail_list_counts_and_hourly_charts(string engine)
    {
        var s = await SeedAsync(engine);
        using var _ = s.Db;
        var issues = new IssueStore(s.Db.Database, writer: null);

        var first = issues.EventsOfKnownIssue(s.Project, s.Cart, 2, null);
        Assert.Equal([EventId(3), EventId(2)], first.Events.Select(e => e.Id));
        Assert.Equal(["Ann", "Bob"], first.Events[1].Feedback.Select(f => f.Name));
        Assert.Equal([EventId(1)], issues.EventsOfKnownIssue(s.Project, s.Cart, 2, first.NextCursor).Events.Select(e => e.Id));

        var detail = new IssueDetailQuery(s.Db.Database, issues).Run(s.Project, s.Cart, EventId(2), Now)!;
        Assert.Equal("event 2", detail.Event!.Json.GetProperty("message").GetString());
        Assert.Equal((EventId(3), EventId(1)), (detail.NewerEventId, detail.OlderEventId));
        Assert.Equal([EventId(3), EventId(2), EventId(1)], detail.Latest.Select(e => e.EventId));
        Assert.Equal(2, detail.Last24Hours[^1]);
        Assert.Equal(1, detail.Last24Hours[^6]);
        Assert.Equal(new long[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 3 }, detail.Last14Days);
        Assert.Null(new IssueDetailQuery(s.Db.Database, issues).Run(s.Project + 1, s.Cart, null, Now));

        var list = new IssueListQuery(s.Db.Database).Run(s.Project, new IssueListFilter("open", "cart", "last_seen", null)
        {
            Query = SearchParser.TryParse("cart", out var query) is null ? query : throw new InvalidOperationException(),
        }, Now);
        Assert.Equal([s.Cart], list.Issues.Select(i => i.Id));
        Assert.Equal(1, list.Counts["open"]);
        Assert.False(list.Counts.ContainsKey("resolved"));
        Assert.Equal(3, list.Last24Hours[s.Cart].Sum());

        var trend = new TrendStore(s.Db.Database).Hourly(s.Project, s.Cart, 72, Now)!;
        Assert.Equal(10, trend.Total);
        Assert.Null(new TrendStore(s.Db.Database).Hourly(s.Project + 1, s.Cart, 72, Now));

        var stats = ProjectStats.All(s.Db.Database)[s.Project];
        Assert.Equal((2L, 1L, 4L, Now.ToUnixTimeMilliseconds() - Hour), (stats.Issues, stats.OpenIssues, stats.Events, stats.LastSeen!.Value));
    }

    [Theory, MemberData(nameof(Engines.Both), MemberType = typeof(Engines))]
    public async Task Tag_facets_and_value_pages(string engine)
    {
        var s = await SeedAsync(engine);
        using var _ = s.Db;
        var tags = new TagStore(s.Db.Database);

        var summary = tags.Summary(s.Project, s.Cart, top: 2);
        Assert.Equal(["release", "level", "browser"], summary.Tags.Select(t => t.Key));
        var browser = summary.Tags.Single(t => t.Key == "browser");
        Assert.Equal((9L, 3L), (browser.Count, browser.UniqueValues));
        Assert.Equal(["Safari", "Chrome"], browser.Values.Select(v => v.Value));

        var page = tags.Values(s.Project, s.Cart, "browser", 2, null)!;
        Assert.Equal((9L, 3L), (page.Count, page.UniqueValues));
        Assert.Equal(["Safari", "Chrome"], page.Values.Select(v => v.Value));
        Assert.Equal(["Firefox"], tags.Values(s.Project, s.Cart, "browser", 2, page.NextCursor)!.Values.Select(v => v.Value));
        Assert.Null(tags.Values(s.Project, s.Cart, "os", 2, null));
        Assert.Null(tags.Values(s.Project + 1, s.Cart, "browser", 2, null));
    }

    [Theory, MemberData(nameof(Engines.Both), MemberType = typeof(Engines))]
    public async Task Completions_match_ids_and_words_whatever_their_case(string engine)
    {
        var s = await SeedAsync(engine);
        using var _ = s.Db;
        var resources = new ResourceStore(s.Db.Database);

        Assert.Equal([s.Cart], resources.MatchingIssues(s.Project, "open", "cart"));
        Assert.Equal([s.Cart], resources.MatchingIssues(s.Project, null, "CART.JS"));
        Assert.Equal([s.Login, s.Cart], resources.MatchingIssues(s.Project, null, "Error")); // same last_seen: newest id first
        Assert.Equal([s.Login], resources.MatchingIssues(s.Project, null, s.Login.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Empty(resources.MatchingIssues(s.Project, null, "%"));
        Assert.Empty(resources.MatchingIssues(s.Project + 1, null, "cart"));
        Assert.Equal([EventId(3), EventId(2), EventId(1)], resources.MatchingEvents(s.Project, s.Cart, "0000"));
        Assert.Equal([EventId(2)], resources.MatchingEvents(s.Project, s.Cart, EventId(2).ToUpperInvariant()));
        Assert.Equal("event 1", resources.Event(s.Project, s.Cart, EventId(1))!.Event.GetProperty("message").GetString());
        Assert.Null(resources.Event(s.Project + 1, s.Cart, EventId(1)));
    }

    [Theory, MemberData(nameof(Engines.Both), MemberType = typeof(Engines))]
    public async Task Status_changes_and_notes_without_a_server_writer_are_logged(string engine)
    {
        var s = await SeedAsync(engine);
        using var _ = s.Db;
        var issues = new IssueStore(s.Db.Database, writer: null);
        var activity = new ActivityStore(s.Db.Database, writer: null);
        var now = Now.ToUnixTimeMilliseconds();

        var resolved = await issues.ChangeStatusAsync(s.Project, s.Cart, new StatusChange("resolved", "abc123", "fixed", null) { InNextRelease = true },
            Actors.Mcp, now, CancellationToken.None);
        Assert.Equal(("resolved", true, "1.0"), (resolved!.Status, resolved.Resolution!.InNextRelease, resolved.Resolution.AfterRelease));
        var note = await activity.AddNoteAsync(s.Project, s.Cart, "looked at it", Actors.Mcp, now + 1, CancellationToken.None);
        Assert.Null(await activity.AddNoteAsync(s.Project + 1, s.Cart, "not mine", Actors.Mcp, now, CancellationToken.None));
        var reopened = await issues.ChangeStatusAsync(s.Project, s.Cart, new StatusChange("open", null, null, null), Actors.Api, now + 2, CancellationToken.None);
        Assert.Equal("open", reopened!.Status);
        Assert.Null(reopened.Resolution);
        Assert.Null(await issues.ChangeStatusAsync(s.Project + 1, s.Login, new StatusChange("open", null, null, null), Actors.Api, now, CancellationToken.None));

        var log = activity.List(s.Project, s.Cart, 2, null)!;
        Assert.Equal(["reopened", "note"], log.Activity.Select(a => a.Kind));
        Assert.Equal((note!.Id, "looked at it"), (log.Activity[1].Id, log.Activity[1].Note));
        var older = activity.List(s.Project, s.Cart, 2, log.NextCursor)!.Activity.Single();
        Assert.Equal(("resolved", (bool?)true, "1.0", "abc123", "fixed"), (older.Kind, older.InNextRelease, older.AfterRelease, older.CommitSha, older.Note));
        Assert.Null(activity.List(s.Project + 1, s.Cart, 2, null));
        Assert.True(new FixEvidence(s.Db.Database, issues, new TrendStore(s.Db.Database)).UsesReleases(s.Project));
    }
}
