using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Kestrel.Platform;

/// <summary>Where all state lives: SQLite in the data directory (the default) or one PostgreSQL database shared by every node.</summary>
public enum DatabaseEngine { Sqlite, Postgres }

/// <summary>A part of Kestrel that reached for SQLite while the app runs on PostgreSQL: that part is not ported yet.</summary>
public sealed class NotOnPostgresException(string message) : InvalidOperationException(message);

/// <summary>
/// Hands out connections to the database. On SQLite (kestrel.db) reads use pooled connections from any thread; writes in
/// the server go through <see cref="DatabaseWriter"/>, which owns one connection. On PostgreSQL every connection comes
/// from one Npgsql pool (<see cref="NpgsqlDataSource"/>). Code ported to both engines calls <see cref="Connect"/>;
/// <see cref="Open"/> is SQLite's own and refuses on PostgreSQL, so a part not yet ported fails loudly instead of
/// writing to a kestrel.db nobody reads.
/// </summary>
public sealed class Database
{
    private readonly string connectionString;
    private readonly NpgsqlDataSource? postgres;
    private readonly NpgsqlDataSource? postgresWriter;

    /// <param name="busyTimeoutSeconds">how long a statement waits for another writer's lock before SQLITE_BUSY</param>
    public Database(KestrelOptions options, int busyTimeoutSeconds = 10)
    {
        if (options.DatabaseUrl is null)
        {
            (Path, connectionString) = SqliteConnectionString(options.DatabasePath, SqliteOpenMode.ReadWriteCreate, busyTimeoutSeconds);
            return;
        }
        Engine = DatabaseEngine.Postgres;
        connectionString = PostgresUrl.ToConnectionString(options.DatabaseUrl);
        Path = "";
        postgres = NpgsqlDataSource.Create(connectionString);
        // The writer's own: not pooled, so a connection opened after the server came back is a new one, never a pooled
        // one from before; named, so an operator (or a test) finds it in pg_stat_activity; quick to give up on an
        // unreachable server, since requests wait for it. Its few statements run thousands of times a second, so each is
        // prepared on the server once it has run twice (parsed and planned once, not per transaction; docs/performance.md).
        postgresWriter = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString)
        {
            ApplicationName = WriterApplicationName,
            Pooling = false,
            Timeout = 5,
            MaxAutoPrepare = 64,
            AutoPrepareMinUsages = 2,
        }.ConnectionString);
    }

    /// <summary>The application_name of the writer's PostgreSQL connection (pg_stat_activity shows it).</summary>
    public const string WriterApplicationName = "kestrel-writer";

    /// <param name="mode">ReadWrite for a command that must find an existing database rather than make an empty one</param>
    public Database(string path, SqliteOpenMode mode, int busyTimeoutSeconds = 10) =>
        (Path, connectionString) = SqliteConnectionString(path, mode, busyTimeoutSeconds);

    private static (string Path, string ConnectionString) SqliteConnectionString(string path, SqliteOpenMode mode, int busyTimeoutSeconds)
    {
        var full = System.IO.Path.GetFullPath(path);
        return (full, new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = mode,
            Pooling = true,
            // Microsoft.Data.Sqlite retries SQLITE_BUSY for this long, which covers a CLI command
            // writing while the server runs.
            DefaultTimeout = busyTimeoutSeconds,
        }.ToString());
    }

    public DatabaseEngine Engine { get; } = DatabaseEngine.Sqlite;

    /// <summary>kestrel.db's full path; empty on PostgreSQL.</summary>
    public string Path { get; }

    /// <summary>Names the database of <paramref name="options"/> in messages, never with its password.</summary>
    public static string Describe(KestrelOptions options) => options.DatabaseUrl is null
        ? $"The database {options.DatabasePath}"
        : PostgresUrl.Describe(PostgresUrl.ToConnectionString(options.DatabaseUrl));

    /// <summary>An open connection of either engine, for code whose SQL runs on both (or picks its dialect by <see cref="Engine"/>).</summary>
    public DbConnection Connect() => postgres is null ? Open() : postgres.OpenConnection();

    /// <summary>
    /// After the writer saw PostgreSQL fail as a whole (dropped, restarted): the idle pooled connections are likely dead
    /// too, so they are closed rather than handed to the next readers, each of which would fail once on one.
    /// </summary>
    public void ForgetPooledConnections() => postgres?.Clear();

    /// <summary>
    /// The connection of the server's <see cref="DatabaseWriter"/>, set up for it. PostgreSQL: commits wait for the
    /// server's flush of the WAL (<c>synchronous_commit = on</c>, whatever the database's default), so an acknowledged
    /// event survives the database server's crash. SQLite: see <see cref="DatabaseWriter.AutoCheckpointPages"/>.
    /// </summary>
    public DbConnection ConnectWriter()
    {
        DbConnection connection = postgresWriter is null ? Open() : postgresWriter.OpenConnection();
        using var setup = connection.CreateCommand();
        // SQLite: after a checkpoint that reaches the end, the log restarts and is cut back to 32 MiB. Statement
        // journals in memory: SQLite keeps one for every upsert that could fail halfway (each tag count is one) and
        // spills it to a temporary file past 64 KiB, and those writes cost the writer a quarter of its time under array
        // load (docs/performance.md, "Ingest cost").
        setup.CommandText = postgresWriter is null
            ? $"PRAGMA wal_autocheckpoint = {DatabaseWriter.AutoCheckpointPages}; PRAGMA journal_size_limit = 33554432; PRAGMA temp_store = MEMORY;"
            : "SET synchronous_commit = on";
        try { setup.ExecuteNonQuery(); }
        catch { connection.Dispose(); throw; }
        return connection;
    }

    /// <summary>
    /// Whether the database answers, and on PostgreSQL (which other nodes may upgrade or a restore may replace) holds exactly
    /// the schema this binary expects. SQLite's file was migrated by this process at start, so answering is enough.
    /// </summary>
    public bool IsReady()
    {
        try
        {
            using var connection = Connect();
            return connection is NpgsqlConnection shared ? Migrations.IsCurrent(shared) : connection.ExecuteScalar<long>("SELECT 1") == 1;
        }
        catch (DbException) { return false; }
    }

    /// <summary>
    /// A transaction for a write outside the server's writer (the CLI). SQLite: BEGIN IMMEDIATE, which takes the write lock
    /// first, so a read-then-write cannot interleave with another process's. PostgreSQL: a plain READ COMMITTED
    /// transaction; the caller locks what its read-then-write needs (a row, a table) in its own SQL.
    /// </summary>
    public static DbTransaction BeginWrite(DbConnection connection) =>
        connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : connection.BeginTransaction();

    /// <summary>A connection to kestrel.db. On PostgreSQL it throws <see cref="NotOnPostgresException"/>: its caller is not ported yet.</summary>
    public SqliteConnection Open()
    {
        if (postgres is not null)
            throw new NotOnPostgresException("This part of Kestrel does not run on PostgreSQL yet (see docs/scaling.md).");
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        // FULL makes every commit fsync the WAL: an acknowledged event survives a power cut.
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous = FULL;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Opens the database, switching it to WAL and applying pending migrations.</summary>
    /// <param name="serverLock">the data directory's lock when the caller (the server) holds it</param>
    public static Database OpenAndMigrate(KestrelOptions options, DataDirectoryLock? serverLock = null)
    {
        var database = new Database(options);
        if (database.postgres is not null)
        {
            using var shared = database.postgres.OpenConnection();
            Migrations.Apply(shared);
            return database;
        }
        SetStaleLogAside(options, serverLock);
        CreatePrivately(database.Path);
        using var connection = database.Open();
        var isNew = connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sqlite_schema") == 0;
        if (isNew) UseLargerPages(connection);
        UseIncrementalVacuum(connection, isNew);
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            wal.ExecuteNonQuery();
        }
        Migrations.Apply(connection);
        return database;
    }

    /// <summary>Bytes per page of a new kestrel.db (SQLite's default is 4,096).</summary>
    public const int PageSize = 8_192;

    /// <summary>
    /// A new database gets pages of <see cref="PageSize"/> bytes. An event's stored payload is a few KB, so twice the
    /// room holds two or three events per page instead of one and a remainder, and a commit writes fewer pages to the
    /// WAL: arrays +14 to +28 % events/s, single events the same or better (docs/performance.md, "Step 5 (sixth session): 8 KB pages").
    /// Smaller pages were slower still and 16 or 32 KB pages slowed single events. The size can be set only before the
    /// first table exists, so a database made by an earlier version keeps its 4 KB pages (both work).
    /// </summary>
    private static void UseLargerPages(SqliteConnection connection) => connection.Execute($"PRAGMA page_size = {PageSize};");

    /// <summary>
    /// Retention deletes old events; with auto_vacuum = INCREMENTAL the pages they held can be given back
    /// to the file system (<c>PRAGMA incremental_vacuum</c>) instead of staying in the file forever. The
    /// mode must be set before the first table exists; a database made before it is rebuilt once by VACUUM,
    /// which needs free disk space about the size of the database and time to match (about 10 s per GB).
    /// </summary>
    /// <param name="isNew">no table exists yet, so the mode takes effect without a rebuild</param>
    private static void UseIncrementalVacuum(SqliteConnection connection, bool isNew)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA auto_vacuum;";
        if ((long)command.ExecuteScalar()! == 2) return;
        command.CommandText = "PRAGMA auto_vacuum = INCREMENTAL;";
        command.ExecuteNonQuery();
        if (isNew) return;
        command.CommandText = "VACUUM;";
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Renames a crashed server's -wal aside when kestrel.db was restored over it (<see cref="StaleWal"/>); every
    /// command that opens the database calls this first. It runs under the data directory's lock: when another
    /// process holds it, that is a running server, which did this at its start, and whose -wal is live.
    /// </summary>
    public static void SetStaleLogAside(KestrelOptions options, DataDirectoryLock? serverLock = null)
    {
        var directory = new DataDirectory(options);
        directory.EnsureExists();
        var path = System.IO.Path.GetFullPath(options.DatabasePath);
        if (serverLock is not null) { MoveStaleLogAside(path); return; }
        using var briefly = DataDirectoryLock.TryAcquire(directory);
        if (briefly is not null) MoveStaleLogAside(path);
    }

    private static void MoveStaleLogAside(string path)
    {
        foreach (var (from, to) in StaleWal.MoveAsideIfStale(path, DateTimeOffset.UtcNow))
            Console.Error.WriteLine($"kestrel: warning: {System.IO.Path.GetFileName(from)} was left by a crashed server next to a restored "
                + $"kestrel.db that is not in WAL mode; renamed it to {System.IO.Path.GetFileName(to)} so it is not replayed into the restored data.");
    }

    /// <summary>
    /// A new kestrel.db is made 0600 before SQLite opens it: it holds users' event data, and SQLite
    /// gives the -wal and -shm files the database file's mode.
    /// </summary>
    private static void CreatePrivately(string path)
    {
        if (OperatingSystem.IsWindows() || File.Exists(path)) return;
        try
        {
            using var file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException) when (File.Exists(path)) { /* made by another process meanwhile */ }
    }
}
