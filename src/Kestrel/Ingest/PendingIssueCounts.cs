using Kestrel.Alerts;
using Kestrel.Issues;
using Kestrel.Platform;
using Kestrel.Tags;

namespace Kestrel.Ingest;

/// <summary>
/// What storing events does to their issues, gathered over every request of one write transaction and
/// made once at its commit: one count update per issue, one hourly upsert per issue and hour, one upsert
/// per (issue, tag, value), the regression rule and the alert rules. Under load a transaction holds
/// dozens of requests, and the hot issues of a storm get most of the events, so this is where group
/// commit saves the most writes. Whatever runs on the writer without deferring (a status change, a
/// deletion) makes these writes first, so it sees the counts as if each request had made its own.
/// </summary>
public sealed class PendingIssueCounts : IPendingWrites
{
    private sealed class Issue(long projectId)
    {
        public readonly long ProjectId = projectId;
        public readonly List<PreparedEvent> Events = [];
        public string Level = "";
        public long LastSeen;
    }

    private readonly Dictionary<long, Issue> issues = [];
    private readonly Dictionary<(long Issue, long Hour), int> hours = [];
    private readonly List<(long Project, long Id, string Fingerprint)> created = [];
    private readonly Dictionary<(long Project, string Fingerprint), List<(PreparedEvent Event, long ReceivedAtMs)>> fresh = [];
    private readonly IssueTagCounts tags = new();
    private readonly List<(long Project, long Issue, PreparedEvent Event, long ReceivedAtMs)> toStore = [];

    /// <summary>Whether this transaction already holds an event of a fingerprint that had no issue.</summary>
    public bool IsNew(long projectId, string fingerprint) => fresh.ContainsKey((projectId, fingerprint));

    /// <summary>An event whose fingerprint had no issue: its issue is made at the commit (<see cref="MakeNewIssues"/>).</summary>
    public void New(long projectId, PreparedEvent e, long receivedAtMs)
    {
        var key = (projectId, e.Group.Fingerprint);
        if (!fresh.TryGetValue(key, out var events)) fresh[key] = events = [];
        events.Add((e, receivedAtMs));
    }

    /// <summary>An event of a known issue, stored at the commit (unless it is a resend) with every other.</summary>
    public void Insert(long projectId, long issueId, PreparedEvent e, long receivedAtMs) => toStore.Add((projectId, issueId, e, receivedAtMs));

    /// <summary>
    /// Stores the transaction's events: first those of known issues, in arrival order, then those of the issues made now,
    /// and counts those that were not resends.
    /// </summary>
    private void StoreEvents(WriterSession session)
    {
        if (toStore.Count == 0) return;
        var stored = EventStore.Insert(session, toStore);
        for (var i = 0; i < toStore.Count; i++)
            if (stored[i]) Stored(toStore[i].Project, toStore[i].Issue, toStore[i].Event, toStore[i].ReceivedAtMs);
        toStore.Clear();
    }

    /// <summary>An event was stored (not a resend) in the issue.</summary>
    private void Stored(long projectId, long issueId, PreparedEvent e, long receivedAtMs)
    {
        if (!issues.TryGetValue(issueId, out var issue)) issues[issueId] = issue = new Issue(projectId);
        issue.Events.Add(e);
        issue.Level = e.Level;
        issue.LastSeen = Math.Max(issue.LastSeen, receivedAtMs);
        var hour = (issueId, receivedAtMs / 3_600_000 * 3_600_000);
        hours[hour] = hours.GetValueOrDefault(hour) + 1;
        tags.Add(projectId, issueId, e, receivedAtMs);
    }

    // An ignored issue stays ignored and keeps counting. Whether new events reopen a resolved one is
    // Regressions' rule, asked only for the issues this answers are resolved. On PostgreSQL another node may have
    // counted the issue meanwhile: the update waits for its commit and answers the status as that node left it, so a
    // regression is decided by one node only. Every issue of the transaction in one statement (RowSet says why).
    // The releases of the issue's first and latest events go in the same update, not a second one: on PostgreSQL every
    // update of an issue row writes an entry in each of its indexes (last_seen is indexed, so none is HOT).
    private const string CountColumns = "nnnttt"; // issue, events, last seen, level, first release, last release

    private const string CountIssuesText = """
        UPDATE issues SET
            event_count = event_count + r.c1,
            last_seen = {1}(last_seen, r.c2),
            level = r.c3,
            first_release = coalesce(first_release, r.c4),
            last_release = coalesce(r.c5, last_release)
        FROM {0}
        WHERE issues.id = r.c0
        RETURNING id, status, event_count
        """;

    private static readonly Dialect<string> CountIssuesSql = RowSet.Statement(CountColumns, CountIssuesText);

    private const string HourColumns = "nnn"; // issue, hour, events

    private const string CountHoursText = """
        INSERT INTO issue_hourly (issue_id, hour, count) SELECT c0, c1, c2 FROM {0} WHERE true
        ON CONFLICT (issue_id, hour) DO UPDATE SET count = issue_hourly.count + excluded.count
        """;

    private static readonly Dialect<string> CountHoursSql = RowSet.Statement(HourColumns, CountHoursText);

    private readonly RowSet issueRows = new(CountColumns);
    private readonly RowSet hourRows = new(HourColumns);

    private const string DeleteIssueSql = "DELETE FROM issues WHERE id = @issue AND event_count = 0";
    private const string DeleteActivitySql = "DELETE FROM issue_activity WHERE issue_id = @issue";

    /// <summary>
    /// Every row is written in key order (issues by id, hours by issue and hour, tags by issue, key and value): two nodes'
    /// transactions that touch the same rows then lock them in the same order and wait for each other rather than deadlock.
    /// </summary>
    public void Write(WriterSession session)
    {
        MakeNewIssues(session);
        StoreEvents(session);
        var ordered = issues.OrderBy(i => i.Key).ToArray();
        // Alert rules read what the counts and the regression rule did (made, reopened, how many); null for a project without rules.
        Dictionary<long, AlertTriggers?> alerts = [];
        foreach (var (issueId, issue) in ordered)
        {
            if (!alerts.TryGetValue(issue.ProjectId, out var projectAlerts))
                alerts[issue.ProjectId] = projectAlerts = AlertTriggers.Start(session, issue.ProjectId, issues.Values.Where(i => i.ProjectId == issue.ProjectId).Max(i => i.LastSeen));
            foreach (var e in issue.Events) projectAlerts?.Stored(issueId, e);
            var (firstRelease, lastRelease) = tags.ReleasesOf(issueId);
            issueRows.Add(issueId).Add(issue.Events.Count).Add(issue.LastSeen).Add(issue.Level).Add(firstRelease).Add(lastRelease);
        }
        foreach (var ((issueId, hour), n) in hours.OrderBy(h => h.Key)) hourRows.Add(issueId).Add(hour).Add(n);
        var counted = session.Engine == DatabaseEngine.Postgres ? CountAllPostgres(session) : CountAllSqlite(session);
        foreach (var (issueId, issue) in ordered)
        {
            var (status, eventCount) = counted[issueId];
            var regressed = status == "resolved"
                && Regressions.Check(session.Connection, session.Transaction, issue.ProjectId, issueId, issue.Events.Select(e => (e.EventId, e.Release)), issue.LastSeen);
            alerts[issue.ProjectId]?.Counted(issueId, regressed, eventCount);
        }
        foreach (var (projectId, projectAlerts) in alerts)
            projectAlerts?.Decide(created.Where(c => c.Project == projectId).Select(c => c.Id));
        DeleteUnused(session);
    }

    /// <summary>SQLite: the issue counts, the hourly trend and the tags, statement after statement.</summary>
    /// <returns>each counted issue's status and event count after the update</returns>
    private Dictionary<long, (string Status, long EventCount)> CountAllSqlite(WriterSession session)
    {
        if (issueRows.Count == 0) return [];
        Dictionary<long, (string Status, long EventCount)> answers;
        using (var reader = issueRows.SqliteCommand(session, CountIssuesSql).ExecuteReader()) answers = ReadCounts(reader);
        if (hourRows.Count > 0) hourRows.SqliteCommand(session, CountHoursSql).ExecuteNonQuery();
        tags.Write(session);
        return answers;
    }

    /// <summary>
    /// PostgreSQL: the same statements in one batch, one round trip where they were four (the writer waits on round trips
    /// there; docs/performance.md). Nothing in the batch needs another's answer.
    /// </summary>
    /// <inheritdoc cref="CountAllSqlite"/>
    private Dictionary<long, (string Status, long EventCount)> CountAllPostgres(WriterSession session)
    {
        if (issueRows.Count == 0) return [];
        using var batch = session.Batch();
        issueRows.AddTo(batch, CountIssuesSql.Postgres);
        if (hourRows.Count > 0) hourRows.AddTo(batch, CountHoursSql.Postgres);
        tags.AddTo(batch);
        using var reader = batch.ExecuteReader();
        var answers = ReadCounts(reader);
        while (reader.NextResult()) { } // the statements after the counts answer nothing, but fail here if they fail
        return answers;
    }

    private Dictionary<long, (string Status, long EventCount)> ReadCounts(System.Data.Common.DbDataReader reader)
    {
        var answers = new Dictionary<long, (string, long)>(issues.Count);
        while (reader.Read()) answers[reader.GetInt64(0)] = (reader.GetString(1), reader.GetInt64(2));
        // Only a remembered id of an issue deleted behind the writer's back finds no row. Throwing rolls the batch back,
        // which makes the writer forget every id, and the retry finds the truth.
        if (answers.Count != issues.Count)
            throw new InvalidOperationException($"Issue {issues.Keys.First(id => !answers.ContainsKey(id))} is gone; writing again without remembered issue ids.");
        return answers;
    }

    /// <summary>
    /// Makes the issues first seen in this transaction, in (project, fingerprint) order, each with its first activity
    /// entry, then stores their events in arrival order. On PostgreSQL a node that finds the issue made by another
    /// meanwhile stores its events there and does not report the issue as new.
    /// </summary>
    private void MakeNewIssues(WriterSession session)
    {
        if (fresh.Count == 0) return;
        var issueIds = session.Memo<IssueIdCache>();
        foreach (var ((projectId, fingerprint), events) in fresh.OrderBy(f => f.Key.Project).ThenBy(f => f.Key.Fingerprint, StringComparer.Ordinal))
        {
            var (issueId, made) = EventStore.Create(session, projectId, events[0].Event, events[0].ReceivedAtMs);
            if (made) created.Add((projectId, issueId, fingerprint));
            issueIds.Add(projectId, fingerprint, issueId);
            foreach (var (e, receivedAtMs) in events) Insert(projectId, issueId, e, receivedAtMs);
        }
        fresh.Clear();
    }

    /// <summary>
    /// An issue made for an event that turned out to be a resend (possible only when grouping changed
    /// since it was first stored) would show with no events: take it back.
    /// </summary>
    private void DeleteUnused(WriterSession session)
    {
        foreach (var (projectId, issueId, fingerprint) in created)
        {
            if (issues.ContainsKey(issueId)) continue;
            var delete = session.Command(DeleteIssueSql, "@issue");
            delete.Parameters[0].Value = issueId;
            delete.ExecuteNonQuery();
            var deleteActivity = session.Command(DeleteActivitySql, "@issue");
            deleteActivity.Parameters[0].Value = issueId;
            deleteActivity.ExecuteNonQuery();
            session.Memo<IssueIdCache>().Remove(projectId, fingerprint);
        }
    }

    public void Clear()
    {
        issues.Clear();
        hours.Clear();
        created.Clear();
        fresh.Clear();
        toStore.Clear();
        tags.Clear();
        issueRows.Clear();
        hourRows.Clear();
    }
}
