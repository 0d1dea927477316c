using Kestrel.Grouping;
using Kestrel.Platform;

namespace Kestrel.Ingest;

/// <summary>An event ready to store: normalised and grouped.</summary>
public sealed record PreparedEvent(NormalisedEvent Event, GroupingResult Group);

/// <summary>
/// Step 050 of ingest: stores events and keeps their issues' counts, status and hourly trend.
/// Runs on the single writer; a request's events go in one job, so they are stored all or none.
/// </summary>
public sealed class EventStore(DatabaseWriter writer)
{
    public Task<string[]> StoreAsync(long projectId, IReadOnlyList<PreparedEvent> events, long receivedAtMs, CancellationToken cancellationToken) =>
        writer.WriteAsync(session => Store(session, projectId, events, receivedAtMs), cancellationToken);

    private const string ExistsSql = "SELECT 1 FROM events WHERE project_id = $project AND event_id = $event_id";

    // A new event on a resolved issue reopens it and records the regression; an ignored issue stays
    // ignored and keeps counting. SQLite evaluates every SET expression against the old row.
    private const string UpsertIssueSql = """
        INSERT INTO issues (project_id, fingerprint, grouping_version, title, type, culprit, level, status, event_count, first_seen, last_seen)
        VALUES ($project, $fingerprint, $version, $title, $type, $culprit, $level, 'open', 1, $now, $now)
        ON CONFLICT (project_id, fingerprint) DO UPDATE SET
            event_count = event_count + 1,
            last_seen = max(last_seen, excluded.last_seen),
            level = excluded.level,
            regressed_at = CASE WHEN status = 'resolved' THEN excluded.last_seen ELSE regressed_at END,
            status = CASE WHEN status = 'resolved' THEN 'open' ELSE status END
        RETURNING id
        """;

    private const string InsertEventSql = """
        INSERT INTO events (project_id, issue_id, event_id, received_at, occurred_at, level, payload)
        VALUES ($project, $issue, $event_id, $received, $occurred, $level, $payload)
        """;

    private const string CountHourSql = """
        INSERT INTO issue_hourly (issue_id, hour, count) VALUES ($issue, $hour, 1)
        ON CONFLICT (issue_id, hour) DO UPDATE SET count = count + 1
        """;

    private static string[] Store(WriterSession session, long projectId, IReadOnlyList<PreparedEvent> events, long receivedAtMs)
    {
        var exists = session.Command(ExistsSql, "$project", "$event_id");
        var upsert = session.Command(UpsertIssueSql, "$project", "$fingerprint", "$version", "$title", "$type", "$culprit", "$level", "$now");
        var insert = session.Command(InsertEventSql, "$project", "$issue", "$event_id", "$received", "$occurred", "$level", "$payload");
        var countHour = session.Command(CountHourSql, "$issue", "$hour");
        var hour = receivedAtMs / 3_600_000 * 3_600_000;
        var ids = new string[events.Count];

        for (var i = 0; i < events.Count; i++)
        {
            var (e, group) = events[i];
            ids[i] = e.EventId;

            // SDKs resend an event after a network failure; the same event_id is stored and counted once.
            exists.Parameters[0].Value = projectId;
            exists.Parameters[1].Value = e.EventId;
            if (exists.ExecuteScalar() is not null) continue;

            upsert.Parameters[0].Value = projectId;
            upsert.Parameters[1].Value = group.Fingerprint;
            upsert.Parameters[2].Value = group.GroupingVersion;
            upsert.Parameters[3].Value = group.Title;
            upsert.Parameters[4].Value = group.Type;
            upsert.Parameters[5].Value = group.Culprit;
            upsert.Parameters[6].Value = e.Level;
            upsert.Parameters[7].Value = receivedAtMs;
            var issueId = (long)upsert.ExecuteScalar()!;

            insert.Parameters[0].Value = projectId;
            insert.Parameters[1].Value = issueId;
            insert.Parameters[2].Value = e.EventId;
            insert.Parameters[3].Value = receivedAtMs;
            insert.Parameters[4].Value = e.Timestamp.ToUnixTimeMilliseconds();
            insert.Parameters[5].Value = e.Level;
            insert.Parameters[6].Value = System.Text.Encoding.UTF8.GetString(e.Payload);
            insert.ExecuteNonQuery();

            countHour.Parameters[0].Value = issueId;
            countHour.Parameters[1].Value = hour;
            countHour.ExecuteNonQuery();
        }
        return ids;
    }
}
