using System.Collections.Concurrent;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Backup;

/// <summary><c>kestrel backup</c> against a real server, read back with the real tar and sqlite3.</summary>
public sealed class BackupTests
{
    /// <summary>
    /// Four clients keep sending while the backup runs: every request is answered 200, and the archive's
    /// database holds a count between the counts before and after the backup, and is consistent in itself.
    /// </summary>
    [Fact]
    [Trait("Engine", "sqlite")] // SQLite by nature: counts read from the live kestrel.db beside its WAL, maps written into the data directory
    public async Task A_backup_under_steady_ingest_is_a_consistent_snapshot_and_fails_no_request()
    {
        using var output = new TempDirectory();
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        Snapshots.WriteMap(server.DataDirectory, "app/1.0/static/js/app.min.js.map");
        var database = Path.Combine(server.DataDirectory, "kestrel.db");

        var failures = new ConcurrentBag<string>();
        var accepted = 0;
        var warmedUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        async Task Client(int client)
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                using var response = await project.PostEventAsync(Events.Exception("LoadError", $"client {client} event {n}", function: "f" + n % 20));
                if (!response.IsSuccessStatusCode) failures.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                else if (Interlocked.Increment(ref accepted) >= 200) warmedUp.TrySetResult();
            }
        }
        var clients = Enumerable.Range(0, 4).Select(c => Task.Run(() => Client(c))).ToArray();
        await warmedUp.Task.WaitAsync(TimeSpan.FromSeconds(120));

        var before = Snapshots.Scalar(database, "SELECT COUNT(*) FROM events");
        var archive = Path.Combine(output.Path, "snapshot.tar.gz");
        var backup = await Snapshots.Kestrel(server.DataDirectory, "backup", archive, "--json");
        var after = Snapshots.Scalar(database, "SELECT COUNT(*) FROM events");
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.True(backup.ExitCode == 0, backup.Stderr);
        Assert.Empty(failures);
        Assert.True(after > before, "the load must have written during the backup");
        var summary = backup.Json;
        var inArchive = summary.GetProperty("events").GetInt64();
        Assert.InRange(inArchive, before, after);
        Assert.Equal(1, summary.GetProperty("maps").GetInt32());
        Assert.Equal(new FileInfo(archive).Length, summary.GetProperty("bytes").GetInt64());

        // The archive opens with the real tools, with exactly the documented layout.
        var listing = (await Tool.RunOkAsync("tar", "-tzf", archive)).Lines;
        Assert.Equal(["kestrel.db", "sourcemaps/app/1.0/static/js/app.min.js.map"], listing);
        using var extracted = new TempDirectory();
        await Tool.RunOkAsync("tar", "-xzf", archive, "-C", extracted.Path);
        var copy = Path.Combine(extracted.Path, "kestrel.db");
        var (events, issues) = await Tool.CountWithSqlite3Async(copy);
        Assert.Equal(inArchive, events);
        Assert.Equal(20, issues);
        Assert.Equal(["ok"], (await Tool.RunOkAsync("sqlite3", copy, "PRAGMA integrity_check;")).Lines);
        // One transaction's view: every event's issue is there and the issues' counts add up to the events.
        Assert.Equal(events, Snapshots.Scalar(copy, "SELECT SUM(event_count) FROM issues"));
        Assert.Equal(0, Snapshots.Scalar(copy, "SELECT COUNT(*) FROM events WHERE issue_id NOT IN (SELECT id FROM issues)"));
        Assert.False(File.Exists(copy + "-wal"));
        Assert.Equal(["snapshot.tar.gz"], Directory.GetFileSystemEntries(output.Path).Select(Path.GetFileName)); // no temporary files left
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(archive));
    }

    private const string MinifiedSource = "function r(){throw new TypeError(\"x is undefined\")}\n//# sourceMappingURL=app.min.js.map\n";

    /// <summary>PRODUCT.md §8: a server on the extracted data behaves like the original; tokens work because their hashes are in the database.</summary>
    [Fact]
    [Trait("Engine", "sqlite")] // SQLite by nature: the archive extracted with plain tar is a SQLite data directory
    public async Task A_server_started_on_extracted_data_accepts_the_original_token_and_has_the_maps()
    {
        using var output = new TempDirectory();
        var archive = Path.Combine(output.Path, "snapshot.tar.gz");
        TestProject original;
        await using (var server = await KestrelServer.StartAsync())
        {
            original = await server.CreateProjectAsync("web");
            await original.IngestAsync(Events.Exception("TypeError", "x is undefined", function: "render", file: "static/js/app.min.js"));
            Snapshots.WriteMap(server.DataDirectory, "web/1.0/static/js/app.min.js.map");
            Snapshots.WriteMap(server.DataDirectory, "web/1.0/static/js/vendor/lib.min.js.map", Snapshots.IndexMap);
            Snapshots.WriteMap(server.DataDirectory, "web/1.0/static/js/app.min.js", MinifiedSource); // kept by the store beside its map
            var backup = await Snapshots.Kestrel(server.DataDirectory, "backup", archive);
            Assert.True(backup.ExitCode == 0, backup.Stderr);
            Assert.Matches(@"^Wrote .*snapshot\.tar\.gz: [0-9.]+ KB, 1 project, 1 issue, 1 event, 2 maps \(and 1 other release file\) in [0-9.]+ s\.\n$", backup.Stdout);
        }

        using var restored = new TempDirectory();
        await Tool.RunOkAsync("tar", "-xzf", archive, "-C", restored.Path);
        Assert.False(File.Exists(Path.Combine(restored.Path, ".admin_password")));
        await using var again = await KestrelServer.StartAsync(dataDirectory: restored.Path);
        var project = original with { Server = again };
        var issues = await project.IssuesAsync();
        Assert.Equal("TypeError", Assert.Single(issues).GetProperty("type").GetString());
        await project.IngestAsync(Events.Exception("TypeError", "x is undefined", function: "render", file: "static/js/app.min.js"));
        Assert.Equal(2, (await project.IssuesAsync())[0].GetProperty("eventCount").GetInt64());
        Assert.Equal(Snapshots.ValidMap, File.ReadAllText(Path.Combine(restored.Path, "sourcemaps/web/1.0/static/js/app.min.js.map")));
        Assert.Equal(Snapshots.IndexMap, File.ReadAllText(Path.Combine(restored.Path, "sourcemaps/web/1.0/static/js/vendor/lib.min.js.map")));
        Assert.Equal(MinifiedSource, File.ReadAllText(Path.Combine(restored.Path, "sourcemaps/web/1.0/static/js/app.min.js")));
        // Resolving frames with the restored maps waits for the source-map feature (issue 4).
    }

    [Fact]
    [Trait("Engine", "sqlite")] // SQLite by nature: a missing or unreadable kestrel.db (PostgreSQL's mistakes: PostgresStorageTests)
    public async Task Backup_mistakes_get_one_sentence_and_leave_no_file()
    {
        using var data = new TempDirectory();
        using var output = new TempDirectory();
        var noDatabase = await Snapshots.Kestrel(data.Path, "backup", Path.Combine(output.Path, "a.tar.gz"));
        Assert.Equal(1, noDatabase.ExitCode);
        Assert.Matches("^kestrel: There is no database at .*kestrel.db to back up.\n$", noDatabase.Stderr);

        Assert.Equal(0, (await Snapshots.Kestrel(data.Path, "project", "create", "app")).ExitCode);
        var noFolder = await Snapshots.Kestrel(data.Path, "backup", Path.Combine(output.Path, "missing", "a.tar.gz"));
        Assert.Equal(1, noFolder.ExitCode);
        Assert.Contains("does not exist", noFolder.Stderr);
        var noName = await Snapshots.Kestrel(data.Path, "backup");
        Assert.Equal(2, noName.ExitCode);
        Assert.Equal("kestrel: Name the archive to write: kestrel backup FILE.tar.gz.\n", noName.Stderr);

        // A database SQLite cannot read fails the backup after its temporary copy was started: nothing is left behind.
        using (var broken = new TempDirectory())
        {
            File.WriteAllText(Path.Combine(broken.Path, "kestrel.db"), "this is not a database, but it is long enough to have a header of 100 bytes. .................");
            var failed = await Snapshots.Kestrel(broken.Path, "backup", Path.Combine(output.Path, "broken.tar.gz"));
            Assert.Equal(1, failed.ExitCode);
            Assert.Matches("^kestrel: The database .*kestrel.db cannot be copied: .*\n$", failed.Stderr);
            Assert.Empty(Directory.GetFileSystemEntries(output.Path));
        }

        // A map outside sourcemaps/<project>/<release>/ is left out with a warning; the backup still succeeds.
        // So is a file that is not a source map (half written, say): the archive must pass verify.
        Snapshots.WriteMap(data.Path, "stray.map");
        Snapshots.WriteMap(data.Path, "app/1.0/half.js.map", Snapshots.ValidMap[..20]);
        Snapshots.WriteMap(data.Path, "app/1.0/good.js.map");
        var warned = await Snapshots.Kestrel(data.Path, "backup", Path.Combine(output.Path, "b.tar.gz"), "--json");
        Assert.Equal(0, warned.ExitCode);
        Assert.Matches("kestrel: warning: left out .*/sourcemaps/stray.map: a map belongs in sourcemaps/<project>/<release>/.\n", warned.Stderr);
        Assert.Matches("kestrel: warning: left out .*/sourcemaps/app/1.0/half.js.map: it is not a usable source map: The source map is not valid JSON", warned.Stderr);
        Assert.Equal(1, warned.Json.GetProperty("maps").GetInt32());
        Assert.Equal(["b.tar.gz"], Directory.GetFileSystemEntries(output.Path).Select(Path.GetFileName));
        Assert.Equal(0, (await Snapshots.Kestrel(data.Path, "verify", Path.Combine(output.Path, "b.tar.gz"))).ExitCode);
    }
}
