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

    /// <summary>Queues the events unless the writer's queue is full; null then, and nothing is written.</summary>
    public Task<string[]>? TryStoreAsync(long projectId, IReadOnlyList<PreparedEvent> events, long receivedAtMs)
    {
        long bytes = 0;
        foreach (var e in events) bytes += e.StoredPayload.Length;
        return writer.TryWriteAsync(session => Store(session, projectId, events, receivedAtMs), bytes, defers: true);
    }

    private const string FindIssueSql = "SELECT id FROM issues WHERE project_id = @project AND fingerprint = @fingerprint";

    // Counts start at zero: PendingIssueCounts adds the transaction's events, the first one included.
    private const string CreateIssueSql = """
        INSERT INTO issues (project_id, fingerprint, grouping_version, title, type, culprit, level, status, event_count, first_seen, last_seen)
        VALUES (@project, @fingerprint, @version, @title, @type, @culprit, @level, 'open', 0, @now, @now)
        RETURNING id
        """;

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
    /// Stores the events and finds or makes their issues now; what that does to the issues (counts, trend,
    /// tags, regressions, alerts) is left to <see cref="PendingIssueCounts"/>, made once per transaction.
    /// </summary>
    private static string[] Store(WriterSession session, long projectId, IReadOnlyList<PreparedEvent> events, long receivedAtMs)
    {
        var issueIds = session.Memo<IssueIdCache>();
        var counts = session.Pending<PendingIssueCounts>();
        var insert = session.Command(InsertEventSql, "@project", "@issue", "@event_id", "@received", "@occurred", "@level", "@payload");
        var ids = new string[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            ids[i] = e.EventId;
            if (!issueIds.TryGet(projectId, e.Group.Fingerprint, out var issueId))
            {
                issueId = FindOrCreateIssue(session, projectId, e, receivedAtMs, counts);
                issueIds.Add(projectId, e.Group.Fingerprint, issueId);
            }

            insert.Parameters[0].Value = projectId;
            insert.Parameters[1].Value = issueId;
            insert.Parameters[2].Value = e.EventId;
            insert.Parameters[3].Value = receivedAtMs;
            insert.Parameters[4].Value = e.OccurredAtMs;
            insert.Parameters[5].Value = e.Level;
            insert.Parameters[6].Value = e.StoredPayload;
            if (insert.ExecuteNonQuery() == 0) continue; // already stored
            counts.Stored(projectId, issueId, e, receivedAtMs);
        }
        return ids;
    }

    private static long FindOrCreateIssue(WriterSession session, long projectId, PreparedEvent e, long now, PendingIssueCounts counts)
    {
        var group = e.Group;
        var find = session.Command(FindIssueSql, "@project", "@fingerprint");
        find.Parameters[0].Value = projectId;
        find.Parameters[1].Value = group.Fingerprint;
        if (find.ExecuteScalar() is long existing) return existing;

        var create = session.Command(CreateIssueSql, "@project", "@fingerprint", "@version", "@title", "@type", "@culprit", "@level", "@now");
        create.Parameters[0].Value = projectId;
        create.Parameters[1].Value = group.Fingerprint;
        create.Parameters[2].Value = group.GroupingVersion;
        create.Parameters[3].Value = group.Title;
        create.Parameters[4].Value = group.Type;
        create.Parameters[5].Value = group.Culprit;
        create.Parameters[6].Value = e.Level;
        create.Parameters[7].Value = now;
        var id = (long)create.ExecuteScalar()!;
        var activity = session.Command(CreatedActivitySql, "@project", "@issue", "@now", "@event_id");
        activity.Parameters[0].Value = projectId;
        activity.Parameters[1].Value = id;
        activity.Parameters[2].Value = now;
        activity.Parameters[3].Value = e.EventId;
        activity.ExecuteNonQuery();
        counts.Created(projectId, id, group.Fingerprint);
        return id;
    }
}
