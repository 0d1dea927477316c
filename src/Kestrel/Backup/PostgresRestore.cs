using System.Diagnostics;
using Dapper;
using Kestrel.Platform;
using Kestrel.Retention;
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
/// Refused: a database that already holds rows (restore never merges). The archive's maps and release files go into the
/// database (<see cref="SourceMaps.SourceContents"/>), streamed from the extracted files, in the same transaction; a file
/// the archive's index does not name is left out, as a SQLite server would never read it either. The extracted database
/// and files need room in $TMPDIR. Each day the archive's events arrived on gets its partition before they are copied, so
/// they land in their days at once, not in the default partition for the upkeep to move later.
/// </remarks>
public static class PostgresRestore
{
    public static (SnapshotRestorer.Summary? Restored, SnapshotVerifier.Verification Verification) Restore(KestrelOptions options, string archive,
        BackupProgress? progress = null)
    {
        var started = Stopwatch.GetTimestamp();
        var staging = Directory.CreateTempSubdirectory("kestrel-restore-");
        try
        {
            var verification = SnapshotVerifier.Verify(archive, staging.FullName, keepMaps: true, progress);
            if (!verification.Ok) return (null, verification);
            var counts = verification.Counts!;

            using var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(staging.FullName, SnapshotLayout.DatabaseEntry), Pooling = false }.ToString());
            source.Open();
            Migrations.Apply(source); // an archive from an older Kestrel gets this one's tables first, as at a server start
            var contents = NameContents(source, Path.Combine(staging.FullName, SnapshotLayout.SourceMapsFolder), progress);

            var database = Database.OpenAndMigrate(options);
            using var target = (NpgsqlConnection)database.Connect();
            using var write = target.BeginTransaction();
            // Migrations and other restores wait: two restores into one empty database must not both find it empty.
            target.Execute("SELECT pg_advisory_xact_lock(@key)", new { key = Migrations.PostgresLockKey }, write);
            var tables = source.Query<string>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN ('schema_migrations', 'sqlite_sequence') ORDER BY name").ToList();
            foreach (var table in tables.Append("secrets").Append("source_contents"))
                if (target.ExecuteScalar<bool>($"SELECT EXISTS (SELECT 1 FROM \"{table}\")", transaction: write))
                    throw new SnapshotException($"{Database.Describe(options)} is not empty (its {table} table has rows); kestrel restore loads an archive only into an empty database.");
            // Empty, and held by the advisory lock against other restores: the partitions' DDL meets no one's rows.
            EventPartitions.MakeDays(target, write, source.Query<long>(DaysOfEvents));
            // The files first: source_files names their contents.
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            long bytesDone = 0, bytesTotal = contents.Sum(c => c.Size);
            foreach (var (sha256, path, size) in contents)
            {
                progress?.Bytes("Loading maps and release files", bytesDone, bytesTotal);
                using var file = File.OpenRead(path);
                SourceMaps.SourceContents.Store(target, write, sha256, file, size, now);
                bytesDone += size;
            }
            // Foreign keys (on PostgreSQL enforced at once) otherwise all point at projects, so projects go first.
            var done = 0;
            foreach (var table in tables.OrderBy(t => t != "projects"))
            {
                progress?.Count("Loading tables", done++, tables.Count, "tables");
                CopyTable(table, source, target);
            }
            progress?.Count("Loading tables", done, tables.Count, "tables");

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
        finally
        {
            progress?.Done();
            staging.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Gives every index row of the extracted database the SHA-256 of its extracted file (rows from before that was recorded
    /// have none; a recorded one is checked, not believed), or none when the archive lacks the file.
    /// </summary>
    /// <returns>each distinct content once: its hash, the extracted file, its size</returns>
    private static List<(string Sha256, string Path, long Size)> NameContents(SqliteConnection source, string files, BackupProgress? progress)
    {
        using var write = source.BeginTransaction();
        var paths = source.Query<(long Id, string FilePath)>("SELECT id, file_path FROM source_files", transaction: write).AsList();
        source.Execute("UPDATE source_files SET sha256 = NULL", transaction: write);
        var contents = new Dictionary<string, (string, string, long)>(StringComparer.Ordinal);
        for (var i = 0; i < paths.Count; i++)
        {
            progress?.Count("Checking maps and release files", i, paths.Count, "files");
            var path = Path.GetFullPath(Path.Combine(files, paths[i].FilePath));
            if (!path.StartsWith(Path.GetFullPath(files) + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path)) continue;
            string sha256;
            using (var file = File.OpenRead(path)) sha256 = SourceMaps.SourceContents.Sha256(file);
            contents.TryAdd(sha256, (sha256, path, new FileInfo(path).Length));
            source.Execute("UPDATE source_files SET sha256 = @sha256 WHERE id = @id", new { sha256, id = paths[i].Id }, write);
        }
        write.Commit();
        return contents.Values.ToList();
    }

    /// <summary>The days (UTC, as <see cref="EventPartitions.DayOf"/> counts them: floored) on which the archive's events arrived.</summary>
    private static readonly string DaysOfEvents = $"SELECT DISTINCT (received_at - (received_at < 0) * ({EventPartitions.DayMs} - 1)) / {EventPartitions.DayMs} FROM events";

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
