using Dapper;
using Kestrel.Platform;
using Microsoft.Data.Sqlite;

namespace Kestrel.Backup;

/// <summary>Checks and counts a database copy taken out of, or about to go into, an archive.</summary>
public static class SnapshotDatabase
{
    /// <summary>Rows in the tables the printed summary names.</summary>
    public static (long Projects, long Issues, long Events) Count(string path)
    {
        using var connection = OpenCopy(path);
        return (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM projects"),
            connection.ExecuteScalar<long>("SELECT COUNT(*) FROM issues"),
            connection.ExecuteScalar<long>("SELECT COUNT(*) FROM events"));
    }

    /// <summary>
    /// Runs <c>PRAGMA integrity_check</c> and checks that this is a Kestrel database this build can run.
    /// </summary>
    /// <returns>the counts, or the first problem found</returns>
    public static ((long Projects, long Issues, long Events)? Counts, string? Problem) Check(string path)
    {
        Span<byte> header = stackalloc byte[16];
        using (var file = File.OpenRead(path))
            if (file.ReadAtLeast(header, 16, throwOnEndOfStream: false) < 16 || !header.SequenceEqual("SQLite format 3\0"u8))
                return (null, "kestrel.db is not an SQLite database");
        try
        {
            using var connection = OpenCopy(path);
            var integrity = connection.Query<string>("PRAGMA integrity_check(20)").ToList();
            if (integrity is not ["ok"])
                return (null, "kestrel.db fails SQLite's integrity check: " + string.Join("; ", integrity.Take(3)));
            var tables = connection.Query<string>("SELECT name FROM sqlite_master WHERE type = 'table'").ToHashSet();
            if (!tables.IsSupersetOf(["projects", "issues", "events", "schema_migrations"]))
                return (null, "kestrel.db is not a Kestrel database (its projects, issues and events tables are missing)");
            var version = connection.ExecuteScalar<long?>("SELECT MAX(version) FROM schema_migrations") ?? 0;
            var known = Migrations.Embedded().Max(m => m.Version);
            if (version > known)
                return (null, $"kestrel.db comes from a newer Kestrel (schema version {version}; this one knows up to {known})");
        }
        catch (SqliteException e)
        {
            return (null, $"kestrel.db fails SQLite's integrity check: {e.Message}");
        }
        return (Count(path), null);
    }

    /// <summary>
    /// The copy is private to this process, so it is opened read-write (a read-only open of a database in
    /// WAL mode fails without its -shm file) and without pooling, so the file is closed when done.
    /// </summary>
    private static SqliteConnection OpenCopy(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }
}
