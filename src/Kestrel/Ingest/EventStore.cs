using Kestrel.Platform;

namespace Kestrel.Ingest;

/// <summary>
/// Step 050 of ingest: stores events and keeps their issues' counts, status, hourly trend and tags.
/// Runs on the single writer; a request's events go in one job, so they are stored all or none.
/// </summary>
public sealed class EventStore(DatabaseWriter writer)
{
    public Task<string[]> StoreAsync(long projectId, IReadOnlyList<PreparedEvent> events, long receivedAtMs, CancellationToken cancellationToken) =>
        writer.WriteAsync(session => Store(session, projectId, events, receivedAtMs), cancellationToken);

    /// <summary>Queues the events unless the writer's queue is full; null then, and nothing is written.</summary>
    public Task<string[]>? TryStoreAsync(long projectId, IReadOnlyList<PreparedEvent> events, long receivedAtMs)
    {
        long bytes = 0;
        foreach (var e in events) bytes += e.StoredPayload.Length;
        return writer.TryWriteAsync(session => Store(session, projectId, events, receivedAtMs), bytes);
    }

    private const string FindIssueSql = "SELECT id FROM issues WHERE project_id = $project AND fingerprint = $fingerprint";

    // Counts start at zero: CountIssueSql adds the job's events, the first one included.
    private const string CreateIssueSql = """
        INSERT INTO issues (project_id, fingerprint, grouping_version, title, type, culprit, level, status, event_count, first_seen, last_seen)
        VALUES ($project, $fingerprint, $version, $title, $type, $culprit, $level, 'open', 0, $now, $now)
        RETURNING id
        """;

    private const string DeleteIssueSql = "DELETE FROM issues WHERE id = $issue AND event_count = 0";

    // SDKs resend an event after a network failure; the same event_id is stored and counted once.
    private const string InsertEventSql = """
        INSERT INTO events (project_id, issue_id, event_id, received_at, occurred_at, level, payload)
        VALUES ($project, $issue, $event_id, $received, $occurred, $level, $payload)
        ON CONFLICT (project_id, event_id) DO NOTHING
        """;

    // A new event on a resolved issue reopens it and records the regression; an ignored issue stays
    // ignored and keeps counting. SQLite evaluates every SET expression against the old row.
    private const string CountIssueSql = """
        UPDATE issues SET
            event_count = event_count + $count,
            last_seen = max(last_seen, $now),
            level = $level,
            regressed_at = CASE WHEN status = 'resolved' THEN $now ELSE regressed_at END,
            status = CASE WHEN status = 'resolved' THEN 'open' ELSE status END
        WHERE id = $issue
        """;

    private const string CountHourSql = """
        INSERT INTO issue_hourly (issue_id, hour, count) VALUES ($issue, $hour, $count)
        ON CONFLICT (issue_id, hour) DO UPDATE SET count = count + excluded.count
        """;

    private static string[] Store(WriterSession session, long projectId, IReadOnlyList<PreparedEvent> events, long receivedAtMs)
    {
        var issueIds = session.Memo<IssueIdCache>();
        var insert = session.Command(InsertEventSql, "$project", "$issue", "$event_id", "$received", "$occurred", "$level", "$payload");
        var ids = new string[events.Count];
        // Issue id → events stored and the level of the last one: one count update per issue per request.
        var counted = new Dictionary<long, (int Count, string Level)>();
        List<(long Id, string Fingerprint)>? created = null;
        var tags = new Tags.IssueTagCounts();

        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            var group = e.Group;
            ids[i] = e.EventId;
            if (!issueIds.TryGet(projectId, group.Fingerprint, out var issueId))
            {
                issueId = FindOrCreateIssue(session, projectId, e, receivedAtMs, ref created);
                issueIds.Add(projectId, group.Fingerprint, issueId);
            }

            insert.Parameters[0].Value = projectId;
            insert.Parameters[1].Value = issueId;
            insert.Parameters[2].Value = e.EventId;
            insert.Parameters[3].Value = receivedAtMs;
            insert.Parameters[4].Value = e.OccurredAtMs;
            insert.Parameters[5].Value = e.Level;
            insert.Parameters[6].Value = e.StoredPayload;
            if (insert.ExecuteNonQuery() == 0) continue; // already stored

            counted[issueId] = (counted.GetValueOrDefault(issueId).Count + 1, e.Level);
            tags.Add(issueId, e);
        }

        var count = session.Command(CountIssueSql, "$issue", "$count", "$now", "$level");
        var countHour = session.Command(CountHourSql, "$issue", "$hour", "$count");
        var hour = receivedAtMs / 3_600_000 * 3_600_000;
        foreach (var (issueId, (n, level)) in counted)
        {
            count.Parameters[0].Value = issueId;
            count.Parameters[1].Value = n;
            count.Parameters[2].Value = receivedAtMs;
            count.Parameters[3].Value = level;
            // Only a remembered id of an issue deleted behind the writer's back finds no row. Throwing
            // rolls the batch back, which makes the writer forget every id, and the retry finds the truth.
            if (count.ExecuteNonQuery() == 0) throw new InvalidOperationException($"Issue {issueId} is gone; writing again without remembered issue ids.");

            countHour.Parameters[0].Value = issueId;
            countHour.Parameters[1].Value = hour;
            countHour.Parameters[2].Value = n;
            countHour.ExecuteNonQuery();
        }
        tags.Write(session, projectId, receivedAtMs);

        // An issue made for an event that turned out to be a resend (possible only when grouping
        // changed since it was first stored) would show with no events: take it back.
        if (created is not null) DeleteUnused(session, issueIds, projectId, created, counted);
        return ids;
    }

    private static long FindOrCreateIssue(WriterSession session, long projectId, PreparedEvent e, long now, ref List<(long Id, string Fingerprint)>? created)
    {
        var group = e.Group;
        var find = session.Command(FindIssueSql, "$project", "$fingerprint");
        find.Parameters[0].Value = projectId;
        find.Parameters[1].Value = group.Fingerprint;
        if (find.ExecuteScalar() is long existing) return existing;

        var create = session.Command(CreateIssueSql, "$project", "$fingerprint", "$version", "$title", "$type", "$culprit", "$level", "$now");
        create.Parameters[0].Value = projectId;
        create.Parameters[1].Value = group.Fingerprint;
        create.Parameters[2].Value = group.GroupingVersion;
        create.Parameters[3].Value = group.Title;
        create.Parameters[4].Value = group.Type;
        create.Parameters[5].Value = group.Culprit;
        create.Parameters[6].Value = e.Level;
        create.Parameters[7].Value = now;
        var id = (long)create.ExecuteScalar()!;
        (created ??= []).Add((id, group.Fingerprint));
        return id;
    }

    private static void DeleteUnused(WriterSession session, IssueIdCache issueIds, long projectId,
        List<(long Id, string Fingerprint)> created, Dictionary<long, (int Count, string Level)> counted)
    {
        foreach (var (issueId, fingerprint) in created)
        {
            if (counted.ContainsKey(issueId)) continue;
            var delete = session.Command(DeleteIssueSql, "$issue");
            delete.Parameters[0].Value = issueId;
            delete.ExecuteNonQuery();
            issueIds.Remove(projectId, fingerprint);
        }
    }
}
