using Microsoft.Data.Sqlite;
using Npgsql;

namespace Kestrel.Platform;

/// <summary>
/// Sorts database failures of either engine: those of the database as a whole (every statement would fail the same
/// way, so callers are told to come back later), conflicts between transactions of several nodes (run again), and the
/// rest (a failure of one job).
/// </summary>
public static class DatabaseFailures
{
    /// <summary>
    /// The database rather than one job: SQLite busy, locked, I/O error, corrupt, full, not a database; PostgreSQL not
    /// reachable or gone mid-statement (any <see cref="NpgsqlException"/> that is not the server's own answer), or
    /// answering with a failure of the whole server (<see cref="IsServerWide"/>).
    /// </summary>
    public static bool IsDatabaseWide(Exception e) => e switch
    {
        SqliteException { SqliteErrorCode: 5 or 6 or 10 or 11 or 13 or 26 } => true,
        PostgresException p => IsServerWide(p.SqlState),
        NpgsqlException => true, // refused, dropped, timed out, or no connection left in the pool
        _ => false,
    };

    /// <summary>
    /// PostgreSQL error classes of the server as a whole (Appendix A of its manual): 08 connection exception, 28 bad
    /// credentials, 3D no such database, 53 insufficient resources (disk full, out of memory, too many connections),
    /// 57 operator intervention (shutdown, restart, cancelled), 58 system error (I/O); and 25006, a read-only server
    /// (a standby during a fail-over).
    /// </summary>
    private static bool IsServerWide(string state) => state.Length == 5
        && (state[..2] is "08" or "28" or "3D" or "53" or "57" or "58" || state == PostgresErrorCodes.ReadOnlySqlTransaction);

    /// <summary>
    /// Two transactions that met in the wrong order (a deadlock, which PostgreSQL breaks by failing one) or a
    /// serialization failure: nothing is wrong with the work, so it runs again in a new transaction.
    /// </summary>
    public static bool IsConflict(Exception e) =>
        e is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure };

    /// <summary>What a request answers (with 503 and Retry-After) for a failure that passes, or null for any other.</summary>
    public static string? RetryLater(Exception? e) => e switch
    {
        SqliteException { SqliteErrorCode: 5 or 6 } => "The database is busy; retry shortly.", // SQLITE_BUSY, SQLITE_LOCKED
        NpgsqlException when IsDatabaseWide(e) && !IsDiskFull(e) => "The database cannot be reached; retry shortly.",
        _ => null,
    };

    /// <summary>
    /// The database's disk is full: SQLITE_FULL, or PostgreSQL's 53100 disk_full. Unlike a busy or unreachable database
    /// this does not pass by itself in seconds: requests get 507, as SQLite's disk guard answers before the disk fills.
    /// </summary>
    public static bool IsDiskFull(Exception? e) =>
        e is SqliteException { SqliteErrorCode: 13 } or PostgresException { SqlState: PostgresErrorCodes.DiskFull };
}
