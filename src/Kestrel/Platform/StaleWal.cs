namespace Kestrel.Platform;

/// <summary>
/// Keeps a write-ahead log left by a crashed server out of a database restored over it with plain tar.
/// </summary>
/// <remarks>
/// The live kestrel.db is always in WAL mode; a snapshot from <c>kestrel backup</c> (VACUUM INTO) is in
/// rollback-journal mode. When SQLite opens a database and finds a kestrel.db-wal beside it, it replays that
/// log whatever the database's header says, so a crashed server's log would be mixed into the restored
/// snapshot: rows written after the snapshot reappear, and with a database that diverged the result is
/// corruption. A rollback-mode database next to a -wal file can only be such a restore, so the log and its
/// shared-memory index are renamed aside (never deleted: they are the only copy of what they hold) before
/// SQLite opens the database. Bytes 18 and 19 of the header are the file format's write and read
/// versions: 2 means WAL, 1 rollback journal.
/// </remarks>
public static class StaleWal
{
    /// <returns>the files moved aside, as (from, to)</returns>
    public static IReadOnlyList<(string From, string To)> MoveAsideIfStale(string databasePath, DateTimeOffset now)
    {
        var log = databasePath + "-wal";
        if (!File.Exists(log) || IsInWalMode(databasePath) is not false) return [];
        var suffix = ".stale-" + now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var moved = new List<(string, string)>();
        foreach (var file in (string[])[log, databasePath + "-shm"])
        {
            if (!File.Exists(file)) continue;
            var target = file + suffix;
            for (var n = 2; File.Exists(target); n++) target = $"{file}{suffix}-{n}";
            File.Move(file, target);
            moved.Add((file, target));
        }
        return moved;
    }

    /// <summary>true or false from the header; null when there is no complete header to read (a new, empty file).</summary>
    public static bool? IsInWalMode(string databasePath)
    {
        Span<byte> header = stackalloc byte[20];
        try
        {
            using var file = new FileStream(databasePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length) return null;
        }
        catch (FileNotFoundException) { return null; }
        if (!header[..16].SequenceEqual("SQLite format 3\0"u8)) return null;
        return header[18] == 2 && header[19] == 2;
    }
}
