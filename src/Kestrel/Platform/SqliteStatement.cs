using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Kestrel.Platform;

/// <summary>
/// One SQLite statement of the hottest loops (the writer's, and the project look-up of every request), prepared once on a
/// connection kept open and bound by position straight through SQLite's own API. Microsoft.Data.Sqlite binds every
/// parameter by name on every run and goes through a data reader even for a statement that answers nothing; for a
/// statement run once per event or per tag row that was a noticeable part of the writer's time (docs/performance.md,
/// Steps 6, 8 and 10).
/// </summary>
public sealed class SqliteStatement : IDisposable
{
    private readonly sqlite3 database;
    private readonly sqlite3_stmt statement;
    private byte[] utf8 = new byte[256];

    /// <summary>On the writer, use <see cref="WriterSession.Statement"/>, which keeps one per SQL text for the connection's life.</summary>
    internal SqliteStatement(SqliteConnection connection, string sql)
    {
        database = connection.Handle!;
        var result = raw.sqlite3_prepare_v2(database, sql, out statement);
        if (result != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(result, database);
    }

    public SqliteStatement Bind(int index, long value)
    {
        raw.sqlite3_bind_int64(statement, index, value);
        return this;
    }

    /// <summary>Binds <paramref name="text"/> as UTF-8 from a reused buffer (SQLite copies it: SQLITE_TRANSIENT).</summary>
    public SqliteStatement Bind(int index, string text)
    {
        var length = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (length > utf8.Length) utf8 = new byte[Math.Max(length, utf8.Length * 2)];
        var written = Encoding.UTF8.GetBytes(text, utf8);
        raw.sqlite3_bind_text(statement, index, utf8.AsSpan(0, written));
        return this;
    }

    /// <summary>
    /// Binds <paramref name="blob"/> as a copy (SQLitePCL binds spans with SQLITE_TRANSIENT), so its memory may be reused as
    /// soon as this returns: event payloads are in pooled arrays that go back to the pool after the commit.
    /// </summary>
    public SqliteStatement Bind(int index, ReadOnlySpan<byte> blob)
    {
        raw.sqlite3_bind_blob(statement, index, blob);
        return this;
    }

    /// <summary>Runs a statement that answers no rows; returns how many rows it changed.</summary>
    public int Run()
    {
        var result = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        // The same exception Microsoft.Data.Sqlite throws, so a full disk or a busy database is told apart as anywhere else.
        if (result != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(result, database);
        return raw.sqlite3_changes(database);
    }

    /// <summary>Runs a statement that answers at most one row: what <paramref name="read"/> makes of it, or null when there is none.</summary>
    public T? QueryOne<T>(Func<SqliteStatement, T> read) where T : class
    {
        try
        {
            var result = raw.sqlite3_step(statement);
            if (result == raw.SQLITE_ROW) return read(this);
            if (result != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(result, database);
            return null;
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }
    }

    /// <summary>A column of the row <see cref="QueryOne"/> stands on.</summary>
    public long Int64(int column) => raw.sqlite3_column_int64(statement, column);

    /// <inheritdoc cref="Int64"/>
    public string Text(int column) => raw.sqlite3_column_text(statement, column).utf8_to_string();

    /// <summary>A text column's UTF-8 as SQLite holds it, valid until the statement steps or resets: to compare, not to keep.</summary>
    public ReadOnlySpan<byte> Utf8(int column) => raw.sqlite3_column_blob(statement, column);

    public void Dispose() => statement.Dispose();
}
