using System.Diagnostics;
using System.Runtime.InteropServices;
using Kestrel.Platform;

namespace Kestrel.Backup;

/// <summary>
/// <c>kestrel restore</c>: replaces kestrel.db and sourcemaps/ in the data directory with an archive's, after
/// checking the archive completely. <c>.admin_password</c>, <c>.session_secret</c> and <c>kestrel.toml</c>
/// are left as they are.
/// </summary>
/// <remarks>
/// The archive is extracted into a folder inside the data directory, on the same file system, so each swap
/// is one rename: the database by rename(2) over the old file, the maps folder by renameat2(RENAME_EXCHANGE)
/// (a plain rename pair where the file system lacks it). The two swaps are not one atomic step, but they
/// happen under the data directory's lock, so no server sees the data between them. The old database's
/// -wal and -shm are deleted after the swap; if the restore dies just before that, the next start moves
/// them aside instead (<see cref="StaleWal"/>). The data directory needs free space for the extracted archive.
/// </remarks>
public static class SnapshotRestorer
{
    public sealed record Summary(string Archive, string DataDirectory, SnapshotCounts Counts, double Seconds);

    public static (Summary? Restored, SnapshotVerifier.Verification Verification) Restore(KestrelOptions options, string archivePath,
        BackupProgress? progress = null)
    {
        var started = Stopwatch.GetTimestamp();
        var archive = Path.GetFullPath(archivePath);
        if (!File.Exists(archive)) throw new SnapshotException($"There is no archive at {archive}.");
        if (options.DatabaseUrl is not null) return PostgresRestore.Restore(options, archive, progress);
        var data = new DataDirectory(options);
        using var held = DataDirectoryLock.TryAcquire(data) ?? throw new SnapshotException(
            $"A Kestrel server is running on the data directory {data.Root}; stop it first, then restore.", SnapshotException.ServerRunning);

        var staging = Path.Combine(data.Root, ".restore-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4)));
        PrivateFiles.CreateDirectory(staging);
        try
        {
            var verification = SnapshotVerifier.Verify(archive, staging, keepMaps: true, progress);
            progress?.Done();
            if (!verification.Ok) return (null, verification);
            Directory.CreateDirectory(Path.Combine(staging, SnapshotLayout.SourceMapsFolder)); // an archive without maps restores an empty folder
            SwapIn(staging, data.Root, Path.GetFullPath(options.DatabasePath));
            return (new Summary(archive, data.Root, verification.Counts!, Stopwatch.GetElapsedTime(started).TotalSeconds), verification);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SnapshotException($"Restoring {archive} into {data.Root} failed: {e.Message}");
        }
        finally
        {
            try { Directory.Delete(staging, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static void SwapIn(string staging, string root, string database)
    {
        var liveMaps = Path.Combine(root, SnapshotLayout.SourceMapsFolder);
        var newMaps = Path.Combine(staging, SnapshotLayout.SourceMapsFolder);
        if (Directory.Exists(liveMaps)) Exchange(newMaps, liveMaps); // the old maps end up in staging, deleted with it
        else Directory.Move(newMaps, liveMaps);

        File.Move(Path.Combine(staging, SnapshotLayout.DatabaseEntry), database, overwrite: true);
        // The old database's log must not be replayed into the restored one; a -journal would be rolled back into it.
        foreach (var sidecar in (string[])["-wal", "-shm", "-journal"]) File.Delete(database + sidecar);
    }

    /// <summary>Swaps two folders in one step where the kernel and file system allow it.</summary>
    private static void Exchange(string a, string b)
    {
        const int CurrentDirectory = -100; // AT_FDCWD
        const uint RenameExchange = 2;     // RENAME_EXCHANGE
        try
        {
            if (OperatingSystem.IsLinux() && RenameAt2(CurrentDirectory, a, CurrentDirectory, b, RenameExchange) == 0) return;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { } // a C library without it
        var aside = a + ".old";
        Directory.Move(b, aside);
        Directory.Move(a, b);
        Directory.Move(aside, a);
    }

    [DllImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    private static extern int RenameAt2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);
}
