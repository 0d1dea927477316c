using Microsoft.Data.Sqlite;

namespace Kestrel.Platform;

/// <summary>
/// Hands out SQLite connections to kestrel.db. Reads use pooled connections from any thread;
/// writes in the server go through <see cref="DatabaseWriter"/>, which owns one connection.
/// </summary>
public sealed class Database
{
    private readonly string connectionString;

    /// <param name="busyTimeoutSeconds">how long a statement waits for another writer's lock before SQLITE_BUSY</param>
    public Database(KestrelOptions options, int busyTimeoutSeconds = 10)
        : this(options.DatabasePath, SqliteOpenMode.ReadWriteCreate, busyTimeoutSeconds)
    {
    }

    /// <param name="mode">ReadWrite for a command that must find an existing database rather than make an empty one</param>
    public Database(string path, SqliteOpenMode mode, int busyTimeoutSeconds = 10)
    {
        Path = System.IO.Path.GetFullPath(path);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = mode,
            Pooling = true,
            // Microsoft.Data.Sqlite retries SQLITE_BUSY for this long, which covers a CLI command
            // writing while the server runs.
            DefaultTimeout = busyTimeoutSeconds,
        }.ToString();
    }

    public string Path { get; }

    public SqliteConnection Open()
    {
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
        SetStaleLogAside(options, serverLock);
        CreatePrivately(database.Path);
        using var connection = database.Open();
        UseIncrementalVacuum(connection);
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            wal.ExecuteNonQuery();
        }
        Migrations.Apply(connection);
        return database;
    }

    /// <summary>
    /// Retention deletes old events; with auto_vacuum = INCREMENTAL the pages they held can be given back
    /// to the file system (<c>PRAGMA incremental_vacuum</c>) instead of staying in the file forever. The
    /// mode must be set before the first table exists; a database made before it is rebuilt once by VACUUM,
    /// which needs free disk space about the size of the database and time to match (about 10 s per GB).
    /// </summary>
    private static void UseIncrementalVacuum(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA auto_vacuum;";
        if ((long)command.ExecuteScalar()! == 2) return;
        command.CommandText = "PRAGMA auto_vacuum = INCREMENTAL;";
        command.ExecuteNonQuery();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_schema;";
        if ((long)command.ExecuteScalar()! == 0) return;
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
