using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Kestrel.Platform;
using Microsoft.Data.Sqlite;

namespace Kestrel.Backup;

/// <summary>
/// <c>kestrel backup</c>: an online snapshot of the data directory as one .tar.gz (PRODUCT.md §8). On PostgreSQL the
/// same archive, its kestrel.db and its maps and release files taken from one snapshot of the database by <see cref="PostgresSnapshot"/>.
/// </summary>
/// <remarks>
/// What is not in the archive: <c>.admin_password</c>, <c>.session_secret</c>, <c>kestrel.toml</c> and anything
/// else in the data directory besides kestrel.db and the maps. Disk: the snapshot of the database is written
/// next to the archive first, so that directory needs free space for about the database plus the archive.
/// While VACUUM INTO reads, the live write-ahead log cannot be checkpointed back to its start, so it grows
/// by whatever the server writes meanwhile and shrinks again at the next checkpoint after the backup.
/// Maps are read after the database snapshot: a map uploaded in between is in the archive, which is harmless.
/// </remarks>
public static class SnapshotWriter
{
    public sealed record Summary(string Archive, long Bytes, SnapshotCounts Counts, double Seconds, IReadOnlyList<string> Skipped);

    public static Summary Create(KestrelOptions options, string archivePath, BackupProgress? progress = null)
    {
        var started = Stopwatch.GetTimestamp();
        // A backup is background work: on a small host it competes with the server for the same cores,
        // and ingest latency matters more than how long the backup takes.
        try { Process.GetCurrentProcess().PriorityClass = ProcessPriorityClass.BelowNormal; }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or PlatformNotSupportedException) { }
        var data = new DataDirectory(options);
        var shared = options.DatabaseUrl is not null;
        var database = shared ? Database.Describe(options) : Path.GetFullPath(options.DatabasePath);
        if (!shared)
        {
            if (!File.Exists(database)) throw new SnapshotException($"There is no database at {database} to back up.");
            // Opening a database restored with plain tar beside a crashed server's -wal would replay that log into it.
            Database.SetStaleLogAside(options);
        }
        var archive = Path.GetFullPath(archivePath);
        if (Directory.Exists(archive)) throw new SnapshotException($"{archive} is a directory; give the archive's file name.");
        var folder = Path.GetDirectoryName(archive)!;
        if (!Directory.Exists(folder)) throw new SnapshotException($"The directory {folder} for the archive does not exist.");

        // Temporary files sit next to the archive, so the final rename is atomic and never copies.
        var stem = Path.Combine(folder, $".{Path.GetFileName(archive)}.{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}");
        var snapshot = stem + ".db";
        var partial = stem + ".tmp";
        try
        {
            using var postgres = shared ? PostgresSnapshot.Begin(options) : null;
            if (postgres is not null) postgres.CopyInto(snapshot, progress);
            else
            {
                progress?.Working("Copying the database");
                VacuumInto(database, snapshot);
            }
            var (projects, issues, events) = SnapshotDatabase.Count(snapshot);
            // On PostgreSQL the files come from the database's snapshot; a sourcemaps/ folder left in the data directory from
            // SQLite days belongs to another database, so it is not taken.
            var files = postgres is not null ? FromDatabase(postgres, stem + ".file") : FromFolder(Path.Combine(data.Root, SnapshotLayout.SourceMapsFolder));
            var (maps, others, skipped) = WriteArchive(partial, snapshot, files, progress);
            File.Move(partial, archive, overwrite: true);
            return new Summary(archive, new FileInfo(archive).Length, new SnapshotCounts(projects, issues, events, maps, others),
                Stopwatch.GetElapsedTime(started).TotalSeconds, skipped);
        }
        catch (Exception e) when (e is SqliteException or Npgsql.NpgsqlException)
        {
            throw new SnapshotException($"{(shared ? database : "The database " + database)} cannot be copied: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new SnapshotException($"Writing {archive} failed: {e.Message}"); }
        finally
        {
            progress?.Done();
            foreach (var file in (string[])[snapshot, snapshot + "-journal", partial, stem + ".file"])
                try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// VACUUM INTO reads the live database in one read transaction, so the copy is a consistent snapshot while
    /// the server keeps committing; the copy is self-contained, with no -wal beside it.
    /// </summary>
    private static void VacuumInto(string database, string snapshot)
    {
        // Created empty and private first: SQLite accepts an empty target and keeps its mode (users' data).
        using (PrivateFiles.CreateNew(snapshot)) { }
        var connectionString = new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 30 }.ToString();
        using (var connection = new SqliteConnection(connectionString))
        {
            connection.Open();
            using var vacuum = connection.CreateCommand();
            vacuum.CommandText = "VACUUM INTO @snapshot";
            vacuum.Parameters.AddWithValue("@snapshot", snapshot);
            vacuum.CommandTimeout = 0; // as long as the copy takes
            vacuum.ExecuteNonQuery();
        }
        // The copy must not be in WAL mode: that is what tells a later start that a -wal beside a restored
        // kestrel.db is stale (Platform/StaleWal.cs). SQLite's VACUUM INTO already writes rollback mode; this says so.
        using var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = snapshot, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        copy.Open();
        using var mode = copy.CreateCommand();
        mode.CommandText = "PRAGMA journal_mode = DELETE";
        mode.ExecuteNonQuery();
    }

    /// <summary>A file for the archive: its entry name, where it was found (for warnings), its size, and how to read it (null: gone since listed).</summary>
    private sealed record ArchiveFile(string Name, SnapshotLayout.Kind Kind, string Origin, long Size, Func<FileContent?> Read);

    private sealed record FileContent(byte[]? Bytes, Stream? Stream, string? Problem, UnixFileMode Mode, DateTimeOffset Modified);

    private static (int Maps, int Others, List<string> Skipped) WriteArchive(string partial, string snapshot,
        (IReadOnlyList<ArchiveFile> Files, List<string> Skipped) found, BackupProgress? progress)
    {
        var maps = 0;
        var others = 0;
        var skipped = found.Skipped;
        long bytesTotal = found.Files.Sum(f => f.Size), bytesDone = 0;
        using var file = PrivateFiles.CreateNew(partial);
        using var synced = new SteadySyncStream(file);
        // Fastest: most of the database is Brotli-compressed event payloads, which gzip barely shrinks.
        using (var gzip = new GZipStream(synced, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            progress?.Working("Compressing the database into the archive");
            tar.WriteEntry(snapshot, SnapshotLayout.DatabaseEntry);
            foreach (var entry in found.Files)
            {
                progress?.Bytes("Adding maps and release files", bytesDone, bytesTotal);
                bytesDone += entry.Size;
                if (entry.Read() is not { } content) continue; // deleted since it was listed
                using var stream = content.Stream;
                if (content.Problem is { } problem) { skipped.Add($"{entry.Origin}: it {problem}"); continue; }
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, entry.Name)
                {
                    DataStream = stream ?? new MemoryStream(content.Bytes!),
                    Mode = content.Mode,
                    ModificationTime = content.Modified,
                });
                if (entry.Kind == SnapshotLayout.Kind.SourceMap) maps++; else others++;
            }
            if (found.Files.Count > 0) progress?.Bytes("Adding maps and release files", bytesTotal, bytesTotal);
        }
        file.Flush(flushToDisk: true);
        return (maps, others, skipped);
    }

    /// <summary>The files under the data directory's sourcemaps/ (SQLite), each read whole and checked when its turn comes.</summary>
    private static (IReadOnlyList<ArchiveFile>, List<string>) FromFolder(string sourceMaps)
    {
        var files = new List<ArchiveFile>();
        var skipped = new List<string>();
        foreach (var path in FindFiles(sourceMaps))
        {
            if (SnapshotLayout.EntryOfFile(sourceMaps, path) is not ({ } name, var kind))
            {
                if (path.EndsWith(".map", StringComparison.Ordinal)) skipped.Add($"{path}: a map belongs in sourcemaps/<project>/<release>/");
                continue;
            }
            long size;
            try { size = new FileInfo(path).Length; }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { continue; }
            files.Add(new ArchiveFile(name, kind, path, size, () => ReadFile(path, kind == SnapshotLayout.Kind.SourceMap)));
        }
        return (files, skipped);
    }

    /// <summary>
    /// The files the database holds (PostgreSQL), as of the backup's snapshot: each streamed from the database into one
    /// scratch file beside the archive (the tar entry needs its length and a seekable stream), so memory stays bounded.
    /// A map is still read whole to be checked, as on SQLite, so that the archive always passes <c>kestrel verify</c>.
    /// </summary>
    private static (IReadOnlyList<ArchiveFile>, List<string>) FromDatabase(PostgresSnapshot postgres, string scratch)
    {
        var files = new List<ArchiveFile>();
        var skipped = new List<string>();
        foreach (var stored in postgres.Files())
        {
            var name = SnapshotLayout.SourceMapsFolder + "/" + stored.FilePath;
            if (SnapshotLayout.Classify(name, isDirectory: false) is not (SnapshotLayout.Kind.SourceMap or SnapshotLayout.Kind.ReleaseFile, var clean) classified || clean != name)
            {
                skipped.Add($"{name}: its path cannot be an archive entry");
                continue;
            }
            files.Add(new ArchiveFile(name, classified.Kind, name, stored.Size, () =>
            {
                if (stored.Size > SnapshotReader.MaxFileBytes) return new FileContent([], null, $"is larger than {SnapshotReader.MaxFileBytes >> 20} MiB", default, default);
                var stream = new FileStream(scratch, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
                postgres.CopyContent(stored.Sha256, stream);
                stream.Position = 0;
                string? problem = null;
                if (classified.Kind == SnapshotLayout.Kind.SourceMap)
                {
                    var bytes = new byte[stream.Length];
                    stream.ReadExactly(bytes);
                    stream.Position = 0;
                    problem = SourceMapCheck.Problem(bytes);
                }
                return new FileContent(null, stream, problem, UnixFileMode.UserRead | UnixFileMode.UserWrite,
                    DateTimeOffset.FromUnixTimeMilliseconds(stored.UploadedAt));
            }));
        }
        return (files, skipped);
    }

    /// <summary>
    /// A file is read whole, and a map checked, before it goes in, so the archive always passes
    /// <c>kestrel verify</c>, and a file rewritten while it is read cannot make its entry's size disagree with its content.
    /// </summary>
    private static FileContent? ReadFile(string path, bool isMap)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Length > SnapshotReader.MaxFileBytes) return new FileContent([], null, $"is larger than {SnapshotReader.MaxFileBytes >> 20} MiB", default, default);
            var bytes = File.ReadAllBytes(path);
            var mode = OperatingSystem.IsWindows() ? UnixFileMode.UserRead | UnixFileMode.UserWrite : info.UnixFileMode;
            return new FileContent(bytes, null, isMap ? SourceMapCheck.Problem(bytes) : null, mode, info.LastWriteTimeUtc);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
    }

    /// <summary>Every file below the folder, in a stable order; symbolic links are not followed.</summary>
    private static IEnumerable<string> FindFiles(string sourceMaps)
    {
        if (!Directory.Exists(sourceMaps)) return [];
        return Directory.EnumerateFiles(sourceMaps, "*", new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            MatchType = MatchType.Simple,
            MatchCasing = MatchCasing.CaseSensitive,
            IgnoreInaccessible = false,
        }).Order(StringComparer.Ordinal);
    }
}
