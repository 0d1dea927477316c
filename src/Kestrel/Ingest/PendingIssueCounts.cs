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

    /// <summary>Whether this transaction already holds an event of a fingerprint that had no issue.</summary>
    public bool IsNew(long projectId, string fingerprint) => fresh.ContainsKey((projectId, fingerprint));

    /// <summary>An event whose fingerprint had no issue: its issue is made at the commit (<see cref="MakeNewIssues"/>).</summary>
    public void New(long projectId, PreparedEvent e, long receivedAtMs)
    {
        var key = (projectId, e.Group.Fingerprint);
        if (!fresh.TryGetValue(key, out var events)) fresh[key] = events = [];
        events.Add((e, receivedAtMs));
    }

    /// <summary>An event was stored (not a resend) in the issue.</summary>
    public void Stored(long projectId, long issueId, PreparedEvent e, long receivedAtMs)
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
    // regression is decided by one node only.
    private const string CountIssueText = """
        UPDATE issues SET
            event_count = event_count + @count,
            last_seen = {0}(last_seen, @now),
            level = @level
        WHERE id = @issue
        RETURNING status, event_count
        """;

    // The larger of two values: SQLite's scalar max(), PostgreSQL's greatest().
    private static readonly Dialect<string> CountIssueSql = new(string.Format(CountIssueText, "max"), string.Format(CountIssueText, "greatest"));

    private const string CountHourSql = """
        INSERT INTO issue_hourly (issue_id, hour, count) VALUES (@issue, @hour, @count)
        ON CONFLICT (issue_id, hour) DO UPDATE SET count = issue_hourly.count + excluded.count
        """;

    private const string DeleteIssueSql = "DELETE FROM issues WHERE id = @issue AND event_count = 0";
    private const string DeleteActivitySql = "DELETE FROM issue_activity WHERE issue_id = @issue";

    /// <summary>
    /// Every row is written in key order (issues by id, hours by issue and hour, tags by issue, key and value): two nodes'
    /// transactions that touch the same rows then lock them in the same order and wait for each other rather than deadlock.
    /// </summary>
    public void Write(WriterSession session)
    {
        MakeNewIssues(session);
        var count = session.Command(CountIssueSql.For(session), "@issue", "@count", "@now", "@level");
        // Alert rules read what the counts and the regression rule did (made, reopened, how many); null for a project without rules.
        Dictionary<long, AlertTriggers?> alerts = [];
        foreach (var (issueId, issue) in issues.OrderBy(i => i.Key))
        {
            if (!alerts.TryGetValue(issue.ProjectId, out var projectAlerts))
                alerts[issue.ProjectId] = projectAlerts = AlertTriggers.Start(session, issue.ProjectId, issues.Values.Where(i => i.ProjectId == issue.ProjectId).Max(i => i.LastSeen));
            foreach (var e in issue.Events) projectAlerts?.Stored(issueId, e);
            count.Parameters[0].Value = issueId;
            count.Parameters[1].Value = issue.Events.Count;
            count.Parameters[2].Value = issue.LastSeen;
            count.Parameters[3].Value = issue.Level;
            string status;
            long eventCount;
            using (var counted = count.ExecuteReader())
            {
                // Only a remembered id of an issue deleted behind the writer's back finds no row. Throwing
                // rolls the batch back, which makes the writer forget every id, and the retry finds the truth.
                if (!counted.Read()) throw new InvalidOperationException($"Issue {issueId} is gone; writing again without remembered issue ids.");
                (status, eventCount) = (counted.GetString(0), counted.GetInt64(1));
            }
            var regressed = status == "resolved"
                && Regressions.Check(session.Connection, session.Transaction, issue.ProjectId, issueId, issue.Events.Select(e => (e.EventId, e.Release)), issue.LastSeen);
            projectAlerts?.Counted(issueId, regressed, eventCount);
        }
        foreach (var (projectId, projectAlerts) in alerts)
            projectAlerts?.Decide(created.Where(c => c.Project == projectId).Select(c => c.Id));

        var countHour = session.Command(CountHourSql, "@issue", "@hour", "@count");
        foreach (var ((issueId, hour), n) in hours.OrderBy(h => h.Key))
        {
            countHour.Parameters[0].Value = issueId;
            countHour.Parameters[1].Value = hour;
            countHour.Parameters[2].Value = n;
            countHour.ExecuteNonQuery();
        }
        tags.Write(session);
        DeleteUnused(session);
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
            foreach (var (e, receivedAtMs) in events) EventStore.Insert(session, projectId, issueId, e, receivedAtMs, this);
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
        tags.Clear();
    }
}
