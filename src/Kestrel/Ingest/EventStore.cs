using Kestrel.Platform;

namespace Kestrel.Ingest;

/// <summary>
/// Step 050 of ingest: stores events and keeps their issues' counts, status, hourly trend and tags.
/// Runs on the single writer; a request's events go in one job, so they are stored all or none, and its
/// issue writes go in the same transaction (<see cref="PendingIssueCounts"/>).
/// </summary>
public sealed class EventStore(DatabaseWriter writer)
{
    public Task<string[]> StoreAsync(long projectId, IReadOnlyList<PreparedEvent> events, long receivedAtMs, CancellationToken cancellationToken) =>
        writer.WriteAsync(session => Store(session, projectId, events, receivedAtMs), cancellationToken, defers: true);

    /// <summary>
    /// Queues the events unless the writer's queue is full; null then, and nothing is written. The queue's budget counts
    /// the payloads' stored bytes. The events' payloads stay the caller's: it may give them back to the pool once the task
    /// has ended, however it ended, or at once when this answers null.
    /// </summary>
    public Task<string[]>? TryStoreAsync(long projectId, IReadOnlyList<PreparedEvent> events, long receivedAtMs)
    {
        long bytes = 0;
        foreach (var e in events) bytes += e.StoredPayload.Length;
        return writer.TryWriteAsync(session => Store(session, projectId, events, receivedAtMs), bytes, defers: true);
    }

    private const string FindIssueSql = "SELECT id FROM issues WHERE project_id = @project AND fingerprint = @fingerprint";

    // Counts start at zero: PendingIssueCounts adds the transaction's events, the first one included.
    private const string CreateIssueColumns = """
        INSERT INTO issues (project_id, fingerprint, grouping_version, title, type, culprit, level, status, event_count, first_seen, last_seen)
        VALUES (@project, @fingerprint, @version, @title, @type, @culprit, @level, 'open', 0, @now, @now)
        """;

    // SQLite: this writer is the database's only one, so the issue it did not find is not there.
    // PostgreSQL: another node's writer may be making the same issue right now. The insert waits for that transaction
    // and then does nothing (no row back: the other node made it, and it alone reports it new), where a unique violation
    // would abort this whole transaction.
    private static readonly Dialect<string> CreateIssueSql = new(
        CreateIssueColumns + "\nRETURNING id",
        CreateIssueColumns + "\nON CONFLICT (project_id, fingerprint) DO NOTHING\nRETURNING id");

    // The activity log's first entry, with the event that made the issue.
    private const string CreatedActivitySql =
        "INSERT INTO issue_activity (project_id, issue_id, at, kind, event_id) VALUES (@project, @issue, @now, 'created', @event_id)";

    // SDKs resend an event after a network failure; the same event_id is stored and counted once. No conflict target:
    // PostgreSQL's partitioned events cannot hold a unique (project_id, event_id); there a trigger drops the resend
    // instead (event_ids, docs/scaling.md "Events by day"), and the statement reports 0 rows on both engines.
    private const string InsertEventSql = """
        INSERT INTO events (project_id, issue_id, event_id, received_at, occurred_at, level, payload)
        VALUES (@project, @issue, @event_id, @received, @occurred, @level, @payload)
        ON CONFLICT DO NOTHING
        """;

    /// <summary>
    /// Finds the issue of each event; the events wait for <see cref="PendingIssueCounts"/>, which at the commit makes the
    /// issues no event had before, all in key order (so two nodes making the same new issues lock them in the same order
    /// and cannot deadlock), then stores every event of the transaction. What storing does to the issues (counts, trend,
    /// tags, regressions, alerts) is made there too, once per transaction.
    /// </summary>
    private static string[] Store(WriterSession session, long projectId, IReadOnlyList<PreparedEvent> events, long receivedAtMs)
    {
        var issueIds = session.Memo<IssueIdCache>();
        var counts = session.Pending<PendingIssueCounts>();
        var ids = new string[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            ids[i] = e.EventId;
            var fingerprint = e.Group.Fingerprint;
            if (!issueIds.TryGet(projectId, fingerprint, out var issueId))
            {
                if (counts.IsNew(projectId, fingerprint) || Find(session, projectId, fingerprint) is not { } found)
                {
                    counts.New(projectId, e, receivedAtMs);
                    continue;
                }
                issueIds.Add(projectId, fingerprint, issueId = found);
            }
            counts.Insert(projectId, issueId, e, receivedAtMs);
        }
        return ids;
    }

    /// <summary>Stores the events (in order), each in its issue, and says which were stored: a resend is not.</summary>
    internal static bool[] Insert(WriterSession session, IReadOnlyList<(long Project, long Issue, PreparedEvent Event, long ReceivedAtMs)> events)
    {
        if (session.Engine == DatabaseEngine.Postgres) return InsertAll(session, events);
        var stored = new bool[events.Count];
        // SQLite: one row per statement, bound by position (the parameters in the order they appear in the SQL).
        var insert = session.Statement(InsertEventSql);
        for (var i = 0; i < events.Count; i++)
        {
            var (projectId, issueId, e, receivedAtMs) = events[i];
            stored[i] = insert.Bind(1, projectId).Bind(2, issueId).Bind(3, e.EventId).Bind(4, receivedAtMs).Bind(5, e.OccurredAtMs)
                .Bind(6, e.Level).Bind(7, e.StoredPayload.Span).Run() == 1; // SQLite copies it: the array goes back to the pool
        }
        return stored;
    }

    // PostgreSQL: every event of the transaction in one statement, one round trip. The trigger drops a resend (even of an
    // event earlier in this very statement), and RETURNING names the rows that went in.
    private const string InsertAllSql = """
        INSERT INTO events (project_id, issue_id, event_id, received_at, occurred_at, level, payload)
        SELECT * FROM unnest(@project, @issue, @event_id, @received, @occurred, @level, @payload)
        RETURNING project_id, event_id
        """;

    private static bool[] InsertAll(WriterSession session, IReadOnlyList<(long Project, long Issue, PreparedEvent Event, long ReceivedAtMs)> events)
    {
        var insert = session.Command(InsertAllSql, "@project", "@issue", "@event_id", "@received", "@occurred", "@level", "@payload");
        insert.Parameters[0].Value = events.Select(e => e.Project).ToArray();
        insert.Parameters[1].Value = events.Select(e => e.Issue).ToArray();
        insert.Parameters[2].Value = events.Select(e => e.Event.EventId).ToArray();
        insert.Parameters[3].Value = events.Select(e => e.ReceivedAtMs).ToArray();
        insert.Parameters[4].Value = events.Select(e => e.Event.OccurredAtMs).ToArray();
        insert.Parameters[5].Value = events.Select(e => e.Event.Level).ToArray();
        // Exact-length copies: a bytea[] parameter takes whole arrays, and the pooled ones are longer than their payloads.
        insert.Parameters[6].Value = events.Select(e => e.Event.StoredPayload.ToArray()).ToArray();
        var wentIn = new HashSet<(long, string)>();
        using (var reader = insert.ExecuteReader())
            while (reader.Read()) wentIn.Add((reader.GetInt64(0), reader.GetString(1)));
        // The first of two events with one event_id went in; Remove answers true once.
        return [.. events.Select(e => wentIn.Remove((e.Project, e.Event.EventId)))];
    }

    private static long? Find(WriterSession session, long projectId, string fingerprint)
    {
        var find = session.Command(FindIssueSql, "@project", "@fingerprint");
        find.Parameters[0].Value = projectId;
        find.Parameters[1].Value = fingerprint;
        return find.ExecuteScalar() as long?;
    }

    /// <summary>
    /// Makes the issue of <paramref name="e"/>'s fingerprint with its first activity entry; or, on PostgreSQL, finds it
    /// when another node made it meanwhile.
    /// </summary>
    /// <returns>the issue, and whether this transaction made it (then this node alone reports it new)</returns>
    internal static (long Id, bool Made) Create(WriterSession session, long projectId, PreparedEvent e, long now)
    {
        var group = e.Group;
        var create = session.Command(CreateIssueSql.For(session), "@project", "@fingerprint", "@version", "@title", "@type", "@culprit", "@level", "@now");
        create.Parameters[0].Value = projectId;
        create.Parameters[1].Value = group.Fingerprint;
        create.Parameters[2].Value = group.GroupingVersion;
        create.Parameters[3].Value = group.Title;
        create.Parameters[4].Value = group.Type;
        create.Parameters[5].Value = group.Culprit;
        create.Parameters[6].Value = e.Level;
        create.Parameters[7].Value = now;
        if (create.ExecuteScalar() is not long id)
            return (Find(session, projectId, group.Fingerprint) ?? throw new InvalidOperationException($"Issue {group.Fingerprint} was neither made nor found."), false);
        var activity = session.Command(CreatedActivitySql, "@project", "@issue", "@now", "@event_id");
        activity.Parameters[0].Value = projectId;
        activity.Parameters[1].Value = id;
        activity.Parameters[2].Value = now;
        activity.Parameters[3].Value = e.EventId;
        activity.ExecuteNonQuery();
        return (id, true);
    }
}
