using System.Diagnostics;
using Dapper;
using Kestrel.Platform;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Kestrel.Backup;

/// <summary>
/// <c>kestrel restore</c> with KESTREL_DATABASE_URL: loads an archive (from either engine) into an empty PostgreSQL database,
/// so that moving from SQLite is a backup on one side and a restore on the other. The archive is verified first; its
/// kestrel.db is brought to this Kestrel's schema with SQLite's migrations, then every table is streamed in with binary COPY,
/// all in one transaction that also checks the counts, so a failed restore leaves the database as empty as it was.
/// </summary>
/// <remarks>
/// Refused: a database that already holds rows (restore never merges), and an archive with source maps or release files,
/// which PostgreSQL mode cannot store yet. The extracted database needs room in $TMPDIR.
/// </remarks>
public static class PostgresRestore
{
    public static (SnapshotRestorer.Summary? Restored, SnapshotVerifier.Verification Verification) Restore(KestrelOptions options, string archive)
    {
        var started = Stopwatch.GetTimestamp();
        var staging = Directory.CreateTempSubdirectory("kestrel-restore-");
        try
        {
            var verification = SnapshotVerifier.Verify(archive, staging.FullName, keepMaps: false);
            if (!verification.Ok) return (null, verification);
            var counts = verification.Counts!;
            if (counts.Maps + counts.OtherFiles > 0)
                throw new SnapshotException($"{archive} holds {counts.Maps + counts.OtherFiles} source map and release files, which PostgreSQL mode cannot store yet; restore it without KESTREL_DATABASE_URL (SQLite).");

            using var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(staging.FullName, SnapshotLayout.DatabaseEntry), Pooling = false }.ToString());
            source.Open();
            Migrations.Apply(source); // an archive from an older Kestrel gets this one's tables first, as at a server start

            var database = Database.OpenAndMigrate(options);
            using var target = (NpgsqlConnection)database.Connect();
            using var write = target.BeginTransaction();
            // Migrations and other restores wait: two restores into one empty database must not both find it empty.
            target.Execute("SELECT pg_advisory_xact_lock(@key)", new { key = Migrations.PostgresLockKey }, write);
            var tables = source.Query<string>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN ('schema_migrations', 'sqlite_sequence') ORDER BY name").ToList();
            foreach (var table in tables.Append("secrets"))
                if (target.ExecuteScalar<bool>($"SELECT EXISTS (SELECT 1 FROM \"{table}\")", transaction: write))
                    throw new SnapshotException($"{Database.Describe(options)} is not empty (its {table} table has rows); kestrel restore loads an archive only into an empty database.");
            // Foreign keys (on PostgreSQL enforced at once) all point at projects, so projects go first.
            foreach (var table in tables.OrderBy(t => t != "projects")) CopyTable(table, source, target);

            var loaded = (target.ExecuteScalar<long>("SELECT COUNT(*) FROM projects", transaction: write),
                target.ExecuteScalar<long>("SELECT COUNT(*) FROM issues", transaction: write),
                target.ExecuteScalar<long>("SELECT COUNT(*) FROM events", transaction: write));
            if (loaded != (counts.Projects, counts.Issues, counts.Events))
                throw new SnapshotException($"Restoring {archive} loaded {loaded} projects, issues and events instead of the archive's ({counts.Projects}, {counts.Issues}, {counts.Events}); nothing was kept.");
            write.Commit();
            return (new SnapshotRestorer.Summary(archive, Database.Describe(options), counts, Stopwatch.GetElapsedTime(started).TotalSeconds), verification);
        }
        catch (NpgsqlException e) { throw new SnapshotException($"Restoring {archive} into {Database.Describe(options)} failed, and nothing was kept: {e.Message}"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new SnapshotException($"Restoring {archive} failed: {e.Message}"); }
        finally { staging.Delete(recursive: true); }
    }

    private static void CopyTable(string table, SqliteConnection source, NpgsqlConnection target)
    {
        var columns = target.Query<(string Name, string Type, string Identity)>(
            "SELECT column_name, data_type, is_identity FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @table ORDER BY ordinal_position",
            new { table }).ToList();
        var types = columns.Select(c => c.Type switch
        {
            "bigint" => NpgsqlDbType.Bigint,
            "text" => NpgsqlDbType.Text,
            "bytea" => NpgsqlDbType.Bytea,
            _ => throw new InvalidOperationException($"{table}.{c.Name} is {c.Type}, a type restore does not copy"),
        }).ToArray();
        var list = string.Join(", ", columns.Select(c => $"\"{c.Name}\""));

        using (var rows = source.CreateCommand())
        {
            rows.CommandText = $"SELECT {list} FROM \"{table}\"";
            using var reader = rows.ExecuteReader();
            using var copy = target.BeginBinaryImport($"COPY \"{table}\" ({list}) FROM STDIN (FORMAT BINARY)");
            while (reader.Read())
            {
                copy.StartRow();
                for (var i = 0; i < types.Length; i++)
                {
                    if (reader.IsDBNull(i)) { copy.WriteNull(); continue; }
                    switch (types[i])
                    {
                        case NpgsqlDbType.Bigint: copy.Write(reader.GetInt64(i), NpgsqlDbType.Bigint); break;
                        case NpgsqlDbType.Text: copy.Write(reader.GetString(i), NpgsqlDbType.Text); break;
                        default: copy.Write(reader.GetFieldValue<byte[]>(i), NpgsqlDbType.Bytea); break;
                    }
                }
            }
            copy.Complete();
        }
        // Identities BY DEFAULT took the archive's ids as they were; the next row made here must get a new one.
        foreach (var (name, _, identity) in columns)
            if (identity == "YES")
                target.Execute($"SELECT setval(pg_get_serial_sequence(@quoted, @name), MAX(\"{name}\")) FROM \"{table}\" HAVING MAX(\"{name}\") IS NOT NULL",
                    new { quoted = $"\"{table}\"", name });
    }
}
