using System.Text;
using Kestrel.Platform;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Kestrel.Tags;

/// <summary>
/// SQLite's tag count upserts: one statement per row, prepared once per writer connection and bound by position
/// straight through SQLite's own API. Why not a JSON row set (<see cref="RowSet"/>) as the other writes use: a
/// transaction of single events upserts about 20 tag rows per event, and reading seven columns of each row back out
/// of JSON (<c>value->>i</c>) took a fifth of the writer's time (perf); binding by position costs a few calls per
/// column and no name look-up (Microsoft.Data.Sqlite binds by name, which is what the row set replaced).
/// </summary>
public sealed class SqliteTagUpserts : IWriterMemo, IDisposable
{
    private sqlite3? database;
    private sqlite3_stmt? counting;
    private sqlite3_stmt? countingUsers;
    private byte[] utf8 = new byte[256];

    /// <summary>Prepared statements hold nothing a rollback could make wrong.</summary>
    public void Forget() { }

    /// <summary>Adds <paramref name="count"/> to the row of (issue, key, value), making it if new; returns the row's count after.</summary>
    /// <param name="returnCount">false: the count after is not read (returns 0), which spares SQLite the RETURNING</param>
    public long Count(WriterSession session, bool returnCount, long issue, string key, string value, long project, long count, long firstSeen, long lastSeen)
    {
        var statement = Statement(session, returnCount);
        raw.sqlite3_bind_int64(statement, 1, issue);
        BindText(statement, 2, key);
        BindText(statement, 3, value);
        raw.sqlite3_bind_int64(statement, 4, project);
        raw.sqlite3_bind_int64(statement, 5, count);
        raw.sqlite3_bind_int64(statement, 6, firstSeen);
        raw.sqlite3_bind_int64(statement, 7, lastSeen);
        var result = raw.sqlite3_step(statement);
        long after = 0;
        if (result == raw.SQLITE_ROW)
        {
            after = raw.sqlite3_column_int64(statement, 0);
            result = raw.sqlite3_step(statement);
        }
        raw.sqlite3_reset(statement);
        // The same exception Microsoft.Data.Sqlite throws, so a full disk or a busy database is told apart as anywhere else.
        if (result != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(result, database);
        return after;
    }

    private sqlite3_stmt Statement(WriterSession session, bool returnCount)
    {
        if (database is null)
        {
            database = ((SqliteConnection)session.Connection).Handle!;
            counting = Prepare(IssueTagCounts.CountRowSqlite);
            countingUsers = Prepare(IssueTagCounts.CountRowSqlite + "\nRETURNING count");
        }
        return returnCount ? countingUsers! : counting!;
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
        counting?.Dispose();
        countingUsers?.Dispose();
    }
}
