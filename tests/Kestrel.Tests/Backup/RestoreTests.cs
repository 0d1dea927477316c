using System.Security.Cryptography;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Backup;

/// <summary><c>kestrel restore</c>: verify first, refuse while a server runs, swap the database and maps, keep the secrets.</summary>
[Trait("Engine", "sqlite")] // SQLite by nature: restore into a data directory, under its lock (into PostgreSQL: PostgresStorageTests, PostgresMapsTests)
public sealed class RestoreTests
{
    [Fact]
    public async Task Restore_refuses_while_the_server_runs_and_works_once_it_is_stopped()
    {
        using var data = new TempDirectory();
        using var output = new TempDirectory();
        var archive = Path.Combine(output.Path, "snapshot.tar.gz");
        var database = Path.Combine(data.Path, "kestrel.db");
        TestProject project;
        HashSet<string> snapshotIds;
        string password, sessionSecret;
        await using (var server = await KestrelServer.StartAsync(dataDirectory: data.Path))
        {
            project = await server.CreateProjectAsync();
            for (var i = 0; i < 10; i++) await project.IngestAsync(Events.Exception("KeptError", $"kept {i}"));
            Snapshots.WriteMap(data.Path, "app/1.0/static/js/app.min.js.map");
            Snapshots.WriteMap(data.Path, "app/1.0/static/js/app.min.js", "minified();");
            Assert.Equal(0, (await Snapshots.Kestrel(data.Path, "backup", archive)).ExitCode);
            snapshotIds = Snapshots.EventIds(database);

            for (var i = 0; i < 5; i++) await project.IngestAsync(Events.Exception("LaterError", $"later {i}"));
            Snapshots.WriteMap(data.Path, "app/2.0/later.js.map");
            File.Delete(Path.Combine(data.Path, "sourcemaps/app/1.0/static/js/app.min.js.map"));
            File.Delete(Path.Combine(data.Path, "sourcemaps/app/1.0/static/js/app.min.js"));

            var refused = await Snapshots.Kestrel(data.Path, "restore", archive);
            Assert.Equal(3, refused.ExitCode);
            Assert.Matches("^kestrel: A Kestrel server is running on the data directory .*; stop it first, then restore.\n$", refused.Stderr);
            Assert.Equal(15, Snapshots.EventIds(database).Count);
            Assert.Equal(15, (await project.IssuesAsync()).Sum(i => i.GetProperty("eventCount").GetInt64()));

            password = File.ReadAllText(Path.Combine(data.Path, ".admin_password"));
            sessionSecret = File.ReadAllText(Path.Combine(data.Path, ".session_secret"));
            await server.KillAsync(); // a crash: its -wal and -shm stay
        }
        Assert.True(File.Exists(database + "-wal"));

        var restored = await Snapshots.Kestrel(data.Path, "restore", archive);
        Assert.True(restored.ExitCode == 0, restored.Stderr);
        Assert.Matches(@"^Restored .*snapshot\.tar\.gz into .*: 1 project, 1 issue, 10 events, 1 map \(and 1 other release file\) in [0-9.]+ s\.\n$", restored.Stdout);
        Assert.False(File.Exists(database + "-wal"));
        Assert.False(File.Exists(database + "-shm"));
        Assert.Equal(snapshotIds, Snapshots.EventIds(database));
        Assert.Equal(password, File.ReadAllText(Path.Combine(data.Path, ".admin_password")));
        Assert.Equal(sessionSecret, File.ReadAllText(Path.Combine(data.Path, ".session_secret")));
        Assert.Equal(["sourcemaps/app/1.0/static/js/app.min.js", "sourcemaps/app/1.0/static/js/app.min.js.map"], MapsUnder(data.Path));
        Assert.Empty(Directory.GetDirectories(data.Path, ".restore-*"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(database));

        await using var again = await KestrelServer.StartAsync(dataDirectory: data.Path);
        var restoredProject = project with { Server = again };
        Assert.Equal("KeptError", Assert.Single(await restoredProject.IssuesAsync()).GetProperty("type").GetString());
        await restoredProject.IngestAsync(Events.Message("after the restore"));
        Assert.DoesNotContain("crashed server", again.Log);
    }

    [Fact]
    public async Task A_bad_archive_changes_nothing()
    {
        using var data = new TempDirectory();
        using var output = new TempDirectory();
        Assert.Equal(0, (await Snapshots.Kestrel(data.Path, "project", "create", "app")).ExitCode);
        Snapshots.WriteMap(data.Path, "app/1.0/a.js.map");
        var archive = Path.Combine(output.Path, "snapshot.tar.gz");
        Assert.Equal(0, (await Snapshots.Kestrel(data.Path, "backup", archive)).ExitCode);
        var bytes = File.ReadAllBytes(archive);
        File.WriteAllBytes(archive, bytes[..^6]);
        var before = SHA256.HashData(File.ReadAllBytes(Path.Combine(data.Path, "kestrel.db")));

        var result = await Snapshots.Kestrel(data.Path, "restore", archive);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the archive is truncated", result.Stderr);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(Path.Combine(data.Path, "kestrel.db"))));
        Assert.Equal(["sourcemaps/app/1.0/a.js.map"], MapsUnder(data.Path));
        Assert.Empty(Directory.GetDirectories(data.Path, ".restore-*"));

        var missing = await Snapshots.Kestrel(data.Path, "restore", Path.Combine(output.Path, "none.tar.gz"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("There is no archive at", missing.Stderr);
    }

    [Fact]
    public async Task Restore_into_an_empty_data_directory_gives_a_working_server()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var archive = Path.Combine(source.Path, "snapshot.tar.gz");
        var created = await Snapshots.Kestrel(Path.Combine(source.Path, "data"), "project", "create", "app", "--json");
        Assert.Equal(0, (await Snapshots.Kestrel(Path.Combine(source.Path, "data"), "backup", archive)).ExitCode);

        var fresh = Path.Combine(target.Path, "data");
        Assert.Equal(0, (await Snapshots.Kestrel(fresh, "restore", archive)).ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(fresh));
        await using var server = await KestrelServer.StartAsync(dataDirectory: fresh);
        var json = created.Json;
        var project = new TestProject(json.GetProperty("id").GetInt64(), "app", json.GetProperty("token").GetString()!, json.GetProperty("public_key").GetString()!, server);
        await project.IngestAsync(Events.Message("hello"));
    }

    [Fact]
    public async Task A_second_server_on_the_same_data_directory_is_refused()
    {
        await using var server = await KestrelServer.StartAsync();
        var second = await KestrelProcess.RunAsync(server.DataDirectory, null, "serve");
        Assert.Equal(2, second.ExitCode);
        Assert.Contains("Another Kestrel server (or a restore) is using the data directory", second.Stderr);
        Assert.Equal("ok", await server.Http.GetStringAsync("/healthz"));
    }

    private static string[] MapsUnder(string data) =>
        Directory.GetFiles(Path.Combine(data, "sourcemaps"), "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(data, f)).Order(StringComparer.Ordinal).ToArray();
}
