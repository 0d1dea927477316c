namespace Kestrel.Platform;

/// <summary>
/// Watches the free space of the disk holding the data directory. Below <see cref="KestrelOptions.DiskMinFreeMb"/>
/// ingest refuses events and source-map uploads are refused (<see cref="SourceMaps.UploadDiskGuard"/>) before
/// anything is written, so the database never meets a full disk mid-transaction and the space left serves
/// checkpoints, retention's vacuum and the UI. It recovers on its own: the next check after space returns lets
/// events and uploads in again. Free space is read at most every 250 ms (one statvfs).
/// </summary>
public sealed class DiskGuard(KestrelOptions options, ILogger<DiskGuard> logger)
{
    private const long CheckEveryMs = 250;
    private readonly string path = Path.GetFullPath(options.DataDirectory);
    private readonly Lock gate = new();
    private long checkedAtMs = -CheckEveryMs; // so the first read checks
    private long freeBytes = long.MaxValue;
    private bool low;

    public long MinFreeBytes => options.DiskMinFreeMb * 1024L * 1024;

    /// <summary>Bytes available to Kestrel on the data directory's file system, as of the last check.</summary>
    public long FreeBytes
    {
        get { Refresh(); return Interlocked.Read(ref freeBytes); }
    }

    /// <summary>
    /// Whether events and uploads are refused. Never on PostgreSQL: there the data directory holds nothing that grows
    /// with events, and the database's disk is PostgreSQL's to guard (it refuses writes, which ingest answers with 503).
    /// </summary>
    public bool IsLow
    {
        get
        {
            if (options.DatabaseUrl is not null) return false;
            Refresh();
            return Volatile.Read(ref low);
        }
    }

    private void Refresh()
    {
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref checkedAtMs) < CheckEveryMs) return;
        lock (gate)
        {
            if (now - checkedAtMs < CheckEveryMs) return;
            long free;
            try { free = new DriveInfo(path).AvailableFreeSpace; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("Cannot read the free space of {Path}: {Message}", path, e.Message);
                free = long.MaxValue;
            }
            Interlocked.Exchange(ref freeBytes, free);
            Interlocked.Exchange(ref checkedAtMs, now);
            var isLow = free < MinFreeBytes;
            if (isLow == low) return;
            Volatile.Write(ref low, isLow);
            if (isLow)
                logger.LogWarning("Only {Free} MB free on the disk of {Path} (minimum {Min} MB): refusing events and source-map uploads until space is freed",
                    free / 1024 / 1024, path, options.DiskMinFreeMb);
            else
                logger.LogInformation("{Free} MB free on the disk of {Path} again: accepting events and uploads", free / 1024 / 1024, path);
        }
    }
}
