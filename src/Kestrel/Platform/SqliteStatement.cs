using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Kestrel.Platform;

/// <summary>
/// One SQLite statement of the hottest loops (the writer's, and the project look-up of every request), prepared once on a
/// connection kept open and bound by position straight through SQLite's own API. Microsoft.Data.Sqlite binds every
/// parameter by name on every run and goes through a data reader even for a statement that answers nothing; for a
/// statement run once per event or per tag row that was a noticeable part of the writer's time (docs/performance.md,
/// Steps 6, 8 and 10). Binding, stepping and resetting call the SQLite library itself (<see cref="Native"/>), not
/// through SQLitePCL: its calls each take and give back the statement's safe handle and go through an interface, which
/// for the writer's seven calls per tag row was a sixth of its own time spent on tag rows (Step 12).
/// </summary>
public sealed class SqliteStatement : IDisposable
{
    private readonly sqlite3 database;
    private readonly sqlite3_stmt statement;
    // The native pointers behind the two handles, taken once. A statement is used by one thread at a time (the writer's,
    // or the request that holds a look-up), and its owner disposes it only when no thread is using it, before the
    // connection. Dispose clears them, so a use after it throws, as SQLitePCL's handles did, instead of reaching freed memory.
    private IntPtr databasePointer, statementPointer;
    private byte[] utf8 = new byte[256];

    /// <summary>On the writer, use <see cref="WriterSession.Statement"/>, which keeps one per SQL text for the connection's life.</summary>
    internal SqliteStatement(SqliteConnection connection, string sql)
    {
        database = connection.Handle!;
        var result = raw.sqlite3_prepare_v2(database, sql, out statement);
        if (result != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(result, database);
        databasePointer = database.DangerousGetHandle();
        statementPointer = statement.DangerousGetHandle();
    }

    public SqliteStatement Bind(int index, long value)
    {
        Native.sqlite3_bind_int64(Live, index, value);
        return this;
    }

    /// <summary>Binds <paramref name="text"/> as UTF-8 from a reused buffer (SQLite copies it: SQLITE_TRANSIENT).</summary>
    public SqliteStatement Bind(int index, string text)
    {
        var length = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (length > utf8.Length) utf8 = new byte[Math.Max(length, utf8.Length * 2)];
        var written = Encoding.UTF8.GetBytes(text, utf8);
        // From the buffer's first byte even when the text is empty: a null pointer would bind NULL, not "".
        Native.sqlite3_bind_text(Live, index, ref utf8[0], written, Native.Transient);
        return this;
    }

    /// <summary>
    /// Binds <paramref name="blob"/> as a copy (SQLitePCL binds spans with SQLITE_TRANSIENT), so its memory may be reused as
    /// soon as this returns: event payloads are in pooled arrays that go back to the pool after the commit.
    /// </summary>
    public SqliteStatement Bind(int index, ReadOnlySpan<byte> blob)
    {
        // An empty span has no first byte to point at, and a null pointer would bind NULL: an empty blob is a zero blob.
        if (blob.IsEmpty) Native.sqlite3_bind_zeroblob(Live, index, 0);
        else Native.sqlite3_bind_blob(Live, index, ref MemoryMarshal.GetReference(blob), blob.Length, Native.Transient);
        return this;
    }

    /// <summary>Runs a statement that answers no rows; returns how many rows it changed.</summary>
    public int Run()
    {
        var result = Native.sqlite3_step(Live);
        Native.sqlite3_reset(statementPointer);
        // The same exception Microsoft.Data.Sqlite throws, so a full disk or a busy database is told apart as anywhere else.
        if (result != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(result, database);
        return Native.sqlite3_changes(databasePointer);
    }

    /// <summary>Runs a statement that answers at most one row: what <paramref name="read"/> makes of it, or null when there is none.</summary>
    public T? QueryOne<T>(Func<SqliteStatement, T> read) where T : class
    {
        try
        {
            var result = Native.sqlite3_step(Live);
            if (result == raw.SQLITE_ROW) return read(this);
            if (result != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(result, database);
            return null;
        }
        finally
        {
            Native.sqlite3_reset(statementPointer);
        }
    }

    /// <summary>A column of the row <see cref="QueryOne"/> stands on (read through SQLitePCL, which turns it into .NET values).</summary>
    public long Int64(int column) => raw.sqlite3_column_int64(statement, column);

    /// <inheritdoc cref="Int64"/>
    public string Text(int column) => raw.sqlite3_column_text(statement, column).utf8_to_string();

    /// <summary>A text column's UTF-8 as SQLite holds it, valid until the statement steps or resets: to compare, not to keep.</summary>
    public ReadOnlySpan<byte> Utf8(int column) => raw.sqlite3_column_blob(statement, column);

    private IntPtr Live => statementPointer != 0 ? statementPointer : throw new ObjectDisposedException(nameof(SqliteStatement));

    public void Dispose()
    {
        statementPointer = databasePointer = 0;
        statement.Dispose();
    }

    /// <summary>
    /// The few SQLite functions the hot loops call, straight from the library SQLitePCL loads (e_sqlite3, which SQLitePCL
    /// too imports by that name, without a resolver of its own: one copy in the process, checked in /proc/PID/maps of a
    /// published binary). Only reading the count of changed rows skips the runtime's GC transition, as that attribute
    /// requires (no lock, no allocation, no system call, no callback): every bind takes the connection's mutex, binding
    /// text or a blob allocates a copy, stepping may wait for the disk or a lock, and a reset after a failed step may roll
    /// back.
    /// </summary>
    private static class Native
    {
        private const string Library = "e_sqlite3";

        /// <summary>SQLITE_TRANSIENT: SQLite copies the bytes before the call returns.</summary>
        public const nint Transient = -1;

        [DllImport(Library, ExactSpelling = true, CallingConvention = CallingConvention.Cdecl)]
        public static extern int sqlite3_bind_int64(IntPtr statement, int index, long value);

        [DllImport(Library, ExactSpelling = true, CallingConvention = CallingConvention.Cdecl)]
        public static extern int sqlite3_bind_text(IntPtr statement, int index, ref byte utf8, int length, IntPtr destructor);

        [DllImport(Library, ExactSpelling = true, CallingConvention = CallingConvention.Cdecl)]
        public static extern int sqlite3_bind_blob(IntPtr statement, int index, ref byte bytes, int length, IntPtr destructor);

        [DllImport(Library, ExactSpelling = true, CallingConvention = CallingConvention.Cdecl)]
        public static extern int sqlite3_bind_zeroblob(IntPtr statement, int index, int length);

        [DllImport(Library, ExactSpelling = true, CallingConvention = CallingConvention.Cdecl)]
        public static extern int sqlite3_step(IntPtr statement);

        [DllImport(Library, ExactSpelling = true, CallingConvention = CallingConvention.Cdecl)]
        public static extern int sqlite3_reset(IntPtr statement);

        [DllImport(Library, ExactSpelling = true, CallingConvention = CallingConvention.Cdecl), SuppressGCTransition]
        public static extern int sqlite3_changes(IntPtr database);
    }
}
