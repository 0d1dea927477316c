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
    private readonly IssueTagCounts tags = new();

    /// <summary>An issue this transaction made; taken back at the commit if none of its events was stored.</summary>
    public void Created(long projectId, long issueId, string fingerprint) => created.Add((projectId, issueId, fingerprint));

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
    // Regressions' rule, asked only for the issues this answers are resolved.
    private const string CountIssueSql = """
        UPDATE issues SET
            event_count = event_count + @count,
            last_seen = max(last_seen, @now),
            level = @level
        WHERE id = @issue
        RETURNING status = 'resolved'
        """;

    private const string CountHourSql = """
        INSERT INTO issue_hourly (issue_id, hour, count) VALUES (@issue, @hour, @count)
        ON CONFLICT (issue_id, hour) DO UPDATE SET count = count + excluded.count
        """;

    private const string DeleteIssueSql = "DELETE FROM issues WHERE id = @issue AND event_count = 0";
    private const string DeleteActivitySql = "DELETE FROM issue_activity WHERE issue_id = @issue";

    public void Write(WriterSession session)
    {
        var count = session.Command(CountIssueSql, "@issue", "@count", "@now", "@level");
        foreach (var project in issues.GroupBy(i => i.Value.ProjectId))
        {
            // Alert rules read what the counts and the regression rule did (made, reopened, how many).
            var alerts = AlertTriggers.Start(session, project.Key, project.Max(i => i.Value.LastSeen)); // null when the project has no rules
            foreach (var (issueId, issue) in project)
            {
                foreach (var e in issue.Events) alerts?.Stored(issueId, e);
                count.Parameters[0].Value = issueId;
                count.Parameters[1].Value = issue.Events.Count;
                count.Parameters[2].Value = issue.LastSeen;
                count.Parameters[3].Value = issue.Level;
                alerts?.BeforeCount(issueId);
                // Only a remembered id of an issue deleted behind the writer's back finds no row. Throwing
                // rolls the batch back, which makes the writer forget every id, and the retry finds the truth.
                var resolved = count.ExecuteScalar() ?? throw new InvalidOperationException($"Issue {issueId} is gone; writing again without remembered issue ids.");
                if (resolved is 1L)
                    Regressions.Check(session.Connection, session.Transaction, project.Key, issueId, issue.Events.Select(e => (e.EventId, e.Release)), issue.LastSeen);
                alerts?.AfterCount(issueId);
            }
            alerts?.Decide(created.Where(c => c.Project == project.Key).Select(c => c.Id));
        }

        var countHour = session.Command(CountHourSql, "@issue", "@hour", "@count");
        foreach (var ((issueId, hour), n) in hours)
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
        tags.Clear();
    }
}
