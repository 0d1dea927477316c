using Dapper;
using Kestrel.Platform;

namespace Kestrel.Retention;

/// <summary>
/// The SQL of retention. Every delete is one small writer job (<see cref="BatchSize"/> rows), so ingest
/// waits at most one such job behind retention, however much there is to delete.
/// </summary>
public sealed class RetentionStore(Database database, DatabaseWriter writer)
{
    public const int BatchSize = 500;
    private const int VacuumBytesPerJob = 8 << 20; // 8 MiB per writer job, whatever the database's page size

    // Rows are inserted in arrival order, so the oldest are the lowest ids: each batch looks only at the
    // table's first rows through the primary key, never scanning for received_at. A clock that went
    // backwards can leave an old row behind a younger one until that one ages too.
    private const string DeleteOldEventsSql = """
        DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT @batch) AND received_at < @cutoff
        RETURNING project_id, event_id
        """;

    // PostgreSQL drops whole days (EventPartitions); rows deleted one by one are only those that wait in the default
    // partition for a day of their own, older than the retention (an archive's old events, restored). Its index on
    // received_at finds them.
    private const string DeleteOldStraysSql = """
        DELETE FROM event_partitions.events_default WHERE ctid IN (
            SELECT ctid FROM event_partitions.events_default WHERE received_at < @cutoff ORDER BY received_at LIMIT @batch)
        RETURNING project_id, event_id
        """;

    private const string DeleteFeedbackSql = "DELETE FROM user_feedback WHERE project_id = @project AND event_id = @event_id";

    // PostgreSQL keeps the stored event ids apart (event_ids, its uniqueness on a partitioned table): a deleted event's id
    // goes too, so a resent copy is stored again, as on SQLite.
    private const string DeleteEventIdSql = "DELETE FROM event_ids WHERE project_id = @project AND event_id = @event_id";

    /// <summary>Deletes up to one batch of events received before <paramref name="cutoffMs"/>, with their feedback.</summary>
    public Task<int> DeleteOldEventsAsync(long cutoffMs, CancellationToken cancellationToken) =>
        writer.WriteAsync(session =>
        {
            var sql = database.Engine == DatabaseEngine.Postgres ? DeleteOldStraysSql : DeleteOldEventsSql;
            var delete = session.Command(sql, "@batch", "@cutoff");
            delete.Parameters[0].Value = BatchSize;
            delete.Parameters[1].Value = cutoffMs;
            return DeleteWithFeedback(session, delete);
        }, cancellationToken);

    /// <summary>Issues storing more than <paramref name="cap"/> events, read off the writer through the issue index.</summary>
    public List<long> IssuesOverCap(int cap)
    {
        using var connection = database.Connect();
        return connection.Query<long>("SELECT issue_id FROM events GROUP BY issue_id HAVING COUNT(*) > @cap", new { cap }).AsList();
    }

    // Keeps the issue's first event and its newest cap - 1; deletes the oldest of the rest first. The outer issue_id is
    // for PostgreSQL, whose events key is (project_id, id, received_at): id alone finds a row only through the issue's index.
    private const string TrimIssueSql = """
        DELETE FROM events WHERE issue_id = @issue AND id IN (
            SELECT id FROM events
            WHERE issue_id = @issue
              AND id > (SELECT min(id) FROM events WHERE issue_id = @issue)
              AND id < (SELECT id FROM events WHERE issue_id = @issue ORDER BY id DESC LIMIT 1 OFFSET @keepNewest - 1)
            ORDER BY id LIMIT @batch)
        RETURNING project_id, event_id
        """;

    /// <summary>Deletes up to one batch of an issue's events beyond the cap.</summary>
    public Task<int> TrimIssueAsync(long issueId, int cap, CancellationToken cancellationToken) =>
        writer.WriteAsync(session =>
        {
            var trim = session.Command(TrimIssueSql, "@issue", "@keepNewest", "@batch");
            trim.Parameters[0].Value = issueId;
            trim.Parameters[1].Value = Math.Max(1, cap - 1);
            trim.Parameters[2].Value = BatchSize;
            return DeleteWithFeedback(session, trim);
        }, cancellationToken);

    /// <summary>Runs a DELETE … RETURNING project_id, event_id, then deletes those events' feedback; returns the events deleted.</summary>
    private int DeleteWithFeedback(WriterSession session, System.Data.Common.DbCommand delete)
    {
        var deleted = new List<(long Project, string EventId)>();
        using (var reader = delete.ExecuteReader())
            while (reader.Read()) deleted.Add((reader.GetInt64(0), reader.GetString(1)));
        DeleteFor(session, DeleteFeedbackSql, deleted);
        if (database.Engine == DatabaseEngine.Postgres) DeleteFor(session, DeleteEventIdSql, deleted);
        return deleted.Count;
    }

    private static void DeleteFor(WriterSession session, string sql, List<(long Project, string EventId)> deleted)
    {
        var command = session.Command(sql, "@project", "@event_id");
        foreach (var (project, eventId) in deleted)
        {
            command.Parameters[0].Value = project;
            command.Parameters[1].Value = eventId;
            command.ExecuteNonQuery();
        }
    }

    private const string DeleteHoursSql = """
        DELETE FROM issue_hourly WHERE (issue_id, hour) IN (SELECT issue_id, hour FROM issue_hourly WHERE hour < @cutoff LIMIT @batch)
        """;

    /// <summary>Deletes up to one batch of hourly counts older than <paramref name="cutoffMs"/>.</summary>
    public Task<int> DeleteOldHoursAsync(long cutoffMs, CancellationToken cancellationToken) =>
        writer.WriteAsync(session =>
        {
            var delete = session.Command(DeleteHoursSql, "@cutoff", "@batch");
            delete.Parameters[0].Value = cutoffMs;
            delete.Parameters[1].Value = BatchSize * 10;
            return delete.ExecuteNonQuery();
        }, cancellationToken);

    /// <summary>
    /// SQLite only: gives up to 8 MiB of free pages back to the file system; returns the free pages in the file before and
    /// after. (PostgreSQL's autovacuum reuses the space of deleted rows, and a dropped day's files go at once.)
    /// </summary>
    public Task<(long Before, long After)> VacuumStepAsync(CancellationToken cancellationToken) =>
        writer.WriteAsync(session =>
        {
            var freelist = session.Command("PRAGMA freelist_count");
            var before = (long)freelist.ExecuteScalar()!;
            if (before == 0) return (0L, 0L);
            var pageSize = (long)session.Command("PRAGMA page_size").ExecuteScalar()!; // 8 KiB, or 4 KiB in an older database
            // incremental_vacuum returns no rows but does its work as the statement steps.
            var vacuum = session.Command($"PRAGMA incremental_vacuum({VacuumBytesPerJob / pageSize})");
            using (var reader = vacuum.ExecuteReader()) while (reader.Read()) { }
            return (before, (long)freelist.ExecuteScalar()!);
        }, cancellationToken);
}
