using Kestrel.Platform;

namespace Kestrel.Tags;

/// <summary>
/// SQLite's tag counts: one update (and an insert when it found nothing) per row, prepared once per writer connection and
/// bound by position (<see cref="SqliteStatement"/>). Why not a JSON row set (<see cref="RowSet"/>) as the other writes use:
/// a transaction of single events counts about 20 tag rows per event, and reading seven columns of each row back out of
/// JSON (<c>value->>i</c>) took a fifth of the writer's time (perf).
/// </summary>
public sealed class SqliteTagUpserts : IWriterMemo, IDisposable
{
    private SqliteStatement? updating;
    private SqliteStatement? inserting;

    /// <summary>Prepared statements hold nothing a rollback could make wrong.</summary>
    public void Forget() { }

    /// <summary>Adds <paramref name="count"/> to the row of (issue, key, value), making it if new; true when it was new.</summary>
    /// <remarks>
    /// An update first, and an insert only when it found no row: once an issue has been seen for a while nearly every row
    /// exists, and an update finds it with one B-tree search where an upsert searches twice (the insert's uniqueness
    /// check, then the update's own search). Only the writer writes these rows, so nothing can insert one in between.
    /// </remarks>
    public bool Count(WriterSession session, long issue, string key, string value, long project, long count, long firstSeen, long lastSeen)
    {
        updating ??= new SqliteStatement(session, IssueTagCounts.UpdateRowSqlite);
        inserting ??= new SqliteStatement(session, IssueTagCounts.InsertRowSqlite);
        if (updating.Bind(1, issue).Bind(2, key).Bind(3, value).Bind(4, count).Bind(5, lastSeen).Run() != 0) return false;
        inserting.Bind(1, issue).Bind(2, key).Bind(3, value).Bind(4, project).Bind(5, count).Bind(6, firstSeen).Bind(7, lastSeen).Run();
        return true;
    }

    public void Dispose()
    {
        updating?.Dispose();
        inserting?.Dispose();
    }
}
