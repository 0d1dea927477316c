namespace Kestrel.Platform;

/// <summary>
/// An exclusive lock on <c>$KESTREL_DATA/.kestrel.lock</c>, held by the server for its whole life and by
/// <c>kestrel restore</c> while it swaps files, so a restore never replaces the database under a running
/// server and a server never starts in the middle of a restore.
/// </summary>
/// <remarks>
/// .NET implements <see cref="FileShare.None"/> on Linux with <c>flock(LOCK_EX | LOCK_NB)</c> on the open file.
/// The kernel drops that lock when the process ends, however it ends (kill -9 included), so unlike a PID
/// file a crash never leaves a stale lock behind. The lock is advisory: only Kestrel processes honour it,
/// and setting DOTNET_SYSTEM_IO_DISABLEFILELOCKING turns it off. The file itself stays; its content is unused.
/// </remarks>
public sealed class DataDirectoryLock : IDisposable
{
    public const string FileName = ".kestrel.lock";

    private readonly FileStream file;

    private DataDirectoryLock(FileStream file) => this.file = file;

    /// <summary>The lock, or null when another process holds it.</summary>
    public static DataDirectoryLock? TryAcquire(DataDirectory directory)
    {
        directory.EnsureExists();
        var options = new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try { return new DataDirectoryLock(new FileStream(Path.Combine(directory.Root, FileName), options)); }
        catch (IOException) { return null; } // EWOULDBLOCK from flock: held elsewhere
        catch (UnauthorizedAccessException e) { throw new ConfigurationException($"The data directory {directory.Root} is not writable: {e.Message}"); }
    }

    /// <summary>The server's lock for its lifetime; a second server on the same directory stops with a clear line.</summary>
    /// <remarks>
    /// A CLI command holds the lock for a moment while it opens the database (see <see cref="Database.OpenAndMigrate"/>),
    /// so a server starting at that moment tries again for up to two seconds before it gives up.
    /// </remarks>
    public static DataDirectoryLock AcquireForServer(KestrelOptions options)
    {
        var directory = new DataDirectory(options);
        for (var attempt = 0; ; attempt++)
        {
            if (TryAcquire(directory) is { } acquired) return acquired;
            if (attempt == 40) throw new ConfigurationException($"Another Kestrel server (or a restore) is using the data directory {directory.Root}.");
            Thread.Sleep(50);
        }
    }

    public void Dispose() => file.Dispose();
}
