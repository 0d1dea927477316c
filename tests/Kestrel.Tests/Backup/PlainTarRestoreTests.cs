using Kestrel.Tests.Support;

namespace Kestrel.Tests.Backup;

/// <summary>
/// PRODUCT.md §8: users restore with <c>tar -xzf snapshot.tar.gz -C /data</c> while the server is stopped.
/// When that server had crashed, its kestrel.db-wal is still there and must not be replayed into the snapshot.
/// </summary>
[Trait("Engine", "sqlite")] // SQLite by nature: kestrel.db, its WAL and the sqlite3 tool
public sealed class PlainTarRestoreTests
{
    /// <summary>30 events, a backup, 30 more events, then SIGKILL by PID: the server's log stays behind.</summary>
    /// <returns>the event ids in the snapshot</returns>
    private static async Task<HashSet<string>> SnapshotThenCrashAsync(string data, string archive)
    {
        var database = Path.Combine(data, "kestrel.db");
        HashSet<string> snapshotIds;
        await using (var server = await KestrelServer.StartAsync(dataDirectory: data))
        {
            var project = await server.CreateProjectAsync();
            for (var i = 0; i < 30; i++) await project.IngestAsync(Events.Exception("BeforeError", $"before {i}", function: "f" + i % 3));
            snapshotIds = Snapshots.EventIds(database);
            Assert.Equal(0, (await Snapshots.Kestrel(data, "backup", archive)).ExitCode);
            for (var i = 0; i < 30; i++) await project.IngestAsync(Events.Exception("AfterError", $"after {i}", function: "g" + i % 3));
            await server.KillAsync();
        }
        Assert.True(new FileInfo(database + "-wal").Length > 0, "the crashed server must leave a write-ahead log");
        return snapshotIds;
    }

    [Fact]
    public async Task After_a_crash_a_plain_tar_restore_holds_exactly_the_snapshot()
    {
        using var data = new TempDirectory();
        using var output = new TempDirectory();
        var archive = Path.Combine(output.Path, "snapshot.tar.gz");
        var database = Path.Combine(data.Path, "kestrel.db");
        var snapshotIds = await SnapshotThenCrashAsync(data.Path, archive);

        // What SQLite does without the guard: it replays the stale log into the restored snapshot. Which rows
        // that shows depends on the pages the log holds, but the file's size in pages always comes from the
        // log's last commit, made on the live database, which had 30 more events than the snapshot.
        using (var control = new TempDirectory())
        {
            await Tool.RunOkAsync("tar", "-xzf", archive, "-C", control.Path);
            const string Look = "PRAGMA page_count; SELECT COUNT(*) FROM events; SELECT group_concat(event_id) FROM (SELECT event_id FROM events ORDER BY 1);";
            var clean = await Tool.RunAsync("sqlite3", Path.Combine(control.Path, "kestrel.db"), Look);
            File.Copy(database + "-wal", Path.Combine(control.Path, "kestrel.db-wal"));
            var mixed = await Tool.RunAsync("sqlite3", Path.Combine(control.Path, "kestrel.db"), Look);
            Assert.NotEqual(clean, mixed);
        }

        await Tool.RunOkAsync("tar", "-xzf", archive, "-C", data.Path);
        await using (var restarted = await KestrelServer.StartAsync(dataDirectory: data.Path))
        {
            Assert.Contains("kestrel.db-wal was left by a crashed server", restarted.Log);
            Assert.Equal(snapshotIds, Snapshots.EventIds(database));
            Assert.Equal(["ok"], (await Tool.RunOkAsync("sqlite3", database, "PRAGMA integrity_check;")).Lines);
            Assert.Equal("ready", await restarted.Http.GetStringAsync("/healthz/ready"));
            var aside = Directory.GetFiles(data.Path, "kestrel.db-wal.stale-*");
            Assert.Single(aside); // renamed, not deleted
            Assert.Single(Directory.GetFiles(data.Path, "kestrel.db-shm.stale-*"));
        }
        // The restored database is in WAL mode again, so the next start leaves the new log alone.
        await using (var again = await KestrelServer.StartAsync(dataDirectory: data.Path))
        {
            Assert.DoesNotContain("left by a crashed server", again.Log);
            Assert.Equal(snapshotIds, Snapshots.EventIds(database));
        }
    }

    /// <summary>A backup run before the server is started again must not read the stale log into the restored data either.</summary>
    [Fact]
    public async Task A_backup_right_after_a_plain_tar_restore_sets_the_stale_log_aside_first()
    {
        using var data = new TempDirectory();
        using var output = new TempDirectory();
        var archive = Path.Combine(output.Path, "snapshot.tar.gz");
        var snapshotIds = await SnapshotThenCrashAsync(data.Path, archive);
        await Tool.RunOkAsync("tar", "-xzf", archive, "-C", data.Path);

        var again = await Snapshots.Kestrel(data.Path, "backup", Path.Combine(output.Path, "again.tar.gz"), "--json");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("kestrel.db-wal was left by a crashed server", again.Stderr);
        Assert.Equal(30, again.Json.GetProperty("events").GetInt64());
        Assert.Equal(snapshotIds, Snapshots.EventIds(Path.Combine(data.Path, "kestrel.db")));
    }

    /// <summary>A clean restart of a live database (WAL mode, log present) is not touched.</summary>
    [Fact]
    public async Task A_crash_without_a_restore_keeps_its_log_and_loses_nothing()
    {
        using var data = new TempDirectory();
        var database = Path.Combine(data.Path, "kestrel.db");
        await using (var server = await KestrelServer.StartAsync(dataDirectory: data.Path))
        {
            var project = await server.CreateProjectAsync();
            for (var i = 0; i < 10; i++) await project.IngestAsync(Events.Message($"m{i}"));
            await server.KillAsync();
        }
        Assert.True(File.Exists(database + "-wal"));
        await using var restarted = await KestrelServer.StartAsync(dataDirectory: data.Path);
        Assert.DoesNotContain("crashed server", restarted.Log);
        Assert.Empty(Directory.GetFiles(data.Path, "*.stale-*"));
        Assert.Equal(10, Snapshots.Scalar(database, "SELECT COUNT(*) FROM events"));
    }
}
