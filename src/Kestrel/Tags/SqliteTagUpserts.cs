using System.Text;
using Kestrel.Platform;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Kestrel.Tags;

/// <summary>
/// SQLite's tag count upserts: one update (and an insert when it found nothing) per row, prepared once per writer connection and bound by position
/// straight through SQLite's own API. Why not a JSON row set (<see cref="RowSet"/>) as the other writes use: a
/// transaction of single events upserts about 20 tag rows per event, and reading seven columns of each row back out
/// of JSON (<c>value->>i</c>) took a fifth of the writer's time (perf); binding by position costs a few calls per
/// column and no name look-up (Microsoft.Data.Sqlite binds by name, which is what the row set replaced).
/// </summary>
public sealed class SqliteTagUpserts : IWriterMemo, IDisposable
{
    private sqlite3? database;
    private sqlite3_stmt? updating;
    private sqlite3_stmt? inserting;
    private byte[] utf8 = new byte[256];

    /// <summary>Prepared statements hold nothing a rollback could make wrong.</summary>
    public void Forget() { }

    /// <summary>Adds <paramref name="count"/> to the row of (issue, key, value), making it if new; true when it was new.</summary>
    /// <remarks>
    /// An update first, and an insert only when it found no row: once an issue has been seen for a while nearly every row
    /// exists, and an update finds it with one B-tree search where an upsert searches twice (the insert's uniqueness
    /// check, then the update's own search).
    /// </remarks>
    public bool Count(WriterSession session, long issue, string key, string value, long project, long count, long firstSeen, long lastSeen)
    {
        Prepare(session);
        raw.sqlite3_bind_int64(updating, 1, issue);
        BindText(updating!, 2, key);
        BindText(updating!, 3, value);
        raw.sqlite3_bind_int64(updating, 4, count);
        raw.sqlite3_bind_int64(updating, 5, lastSeen);
        Run(updating!);
        if (raw.sqlite3_changes(database) != 0) return false;
        raw.sqlite3_bind_int64(inserting, 1, issue);
        BindText(inserting!, 2, key);
        BindText(inserting!, 3, value);
        raw.sqlite3_bind_int64(inserting, 4, project);
        raw.sqlite3_bind_int64(inserting, 5, count);
        raw.sqlite3_bind_int64(inserting, 6, firstSeen);
        raw.sqlite3_bind_int64(inserting, 7, lastSeen);
        Run(inserting!);
        return true;
    }

    private void Run(sqlite3_stmt statement)
    {
        var result = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        // The same exception Microsoft.Data.Sqlite throws, so a full disk or a busy database is told apart as anywhere else.
        if (result != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(result, database);
    }

    private void Prepare(WriterSession session)
    {
        if (database is not null) return;
        database = ((SqliteConnection)session.Connection).Handle!;
        updating = Prepare(IssueTagCounts.UpdateRowSqlite);
        inserting = Prepare(IssueTagCounts.InsertRowSqlite);
    }

    private sqlite3_stmt Prepare(string sql)
    {
        var result = raw.sqlite3_prepare_v2(database, sql, out var statement);
        if (result != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(result, database);
        return statement;
    }

    /// <summary>Binds <paramref name="text"/> as UTF-8 from a reused buffer (SQLite copies it: SQLITE_TRANSIENT).</summary>
    private void BindText(sqlite3_stmt statement, int index, string text)
    {
        var length = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (length > utf8.Length) utf8 = new byte[Math.Max(length, utf8.Length * 2)];
        var written = Encoding.UTF8.GetBytes(text, utf8);
        raw.sqlite3_bind_text(statement, index, utf8.AsSpan(0, written));
    }

    public void Dispose()
    {
        updating?.Dispose();
        inserting?.Dispose();
    }
}
