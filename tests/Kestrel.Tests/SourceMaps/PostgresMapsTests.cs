using System.Text.Json;
using Dapper;
using Kestrel.Platform;
using Kestrel.SourceMaps;
using Kestrel.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Kestrel.Tests.SourceMaps;

/// <summary>Maps and release files kept in PostgreSQL: content-addressed, chunked, and moved between engines by backup and restore.</summary>
[Trait("Engine", "both")] // picks its engines itself
public sealed class PostgresMapsTests
{
    [Fact]
    public async Task Contents_are_stored_once_in_chunks_read_back_exactly_and_swept_only_when_unnamed_and_old()
    {
        var url = await PostgresCluster.CreateDatabaseAsync();
        Database.OpenAndMigrate(new KestrelOptions { DatabaseUrl = url });
        await using var connection = new NpgsqlConnection(PostgresUrl.ToConnectionString(url));
        await connection.OpenAsync();
        var big = new byte[SourceContents.ChunkBytes * 2 + 12345];
        Random.Shared.NextBytes(big);
        var sha256 = SourceContents.Sha256(big);

        SourceContents.Store(connection, sha256, new MemoryStream(big), big.Length, nowMs: 1_000);
        SourceContents.Store(connection, sha256, new MemoryStream(big), big.Length, nowMs: 2_000); // the same content again: reused
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM source_contents"));
        Assert.Equal(3, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM source_content_chunks WHERE sha256 = @sha256", new { sha256 }));
        Assert.Equal(SourceContents.ChunkBytes, await connection.ExecuteScalarAsync<long>("SELECT MAX(length(data)) FROM source_content_chunks"));
        Assert.Equal(big, SourceContents.Read(connection, sha256));
        var streamed = new MemoryStream();
        Assert.Equal(big.Length, SourceContents.CopyTo(connection, null, sha256, streamed));
        Assert.Equal(big, streamed.ToArray());
        Assert.Null(SourceContents.Read(connection, new string('0', 64)));

        // An empty file is one empty chunk, and reads back empty.
        var empty = SourceContents.Sha256([]);
        SourceContents.Store(connection, empty, new MemoryStream(), 0, nowMs: 2_000);
        Assert.Equal(0, SourceContents.Read(connection, empty)?.Length);

        // Named by a file: kept however old. Unnamed: kept while recent (an upload may be between its two transactions), then swept.
        var projectId = await connection.ExecuteScalarAsync<long>(
            "INSERT INTO projects (slug, name, token_hash, public_key, created_at) VALUES ('a', 'a', 'h', 'k', 0) RETURNING id");
        await connection.ExecuteAsync("""
            INSERT INTO source_files (project_id, release, url, url_path, kind, file_path, size, sha1, uploaded_at, sha256)
            VALUES (@projectId, '1', '~/a.js', 'a.js', 'minified_source', 'a/1/a.js', 0, 's', 0, @empty)
            """, new { projectId, empty });
        SourceContents.Sweep(connection, nowMs: 2_000 + SourceContents.SweepAfterMs - 1, NullLogger.Instance);
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM source_contents"));
        SourceContents.Sweep(connection, nowMs: 2_000 + SourceContents.SweepAfterMs + 1, NullLogger.Instance);
        Assert.Equal([empty], await connection.QueryAsync<string>("SELECT sha256 FROM source_contents"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM source_content_chunks WHERE sha256 = @sha256", new { sha256 }));

        // The foreign key keeps an index row from naming content that is not there.
        var missing = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(
            "UPDATE source_files SET sha256 = @sha256", new { sha256 }));
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, missing.SqlState);
    }

    /// <summary>
    /// Issue 16 §4/§5: SQLite with an uploaded map → backup → restore into PostgreSQL (the map is in the database and resolves
    /// there) → backup of PostgreSQL (the map is in the archive, as on SQLite) → restore on SQLite → a new event resolves.
    /// </summary>
    [Fact]
    public async Task Maps_move_from_SQLite_into_PostgreSQL_and_back_and_resolve_on_both_sides()
    {
        using var work = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(Path.Combine(work.Path, "build"));
        var map = await File.ReadAllBytesAsync(bundle + ".map");
        var sqliteData = Path.Combine(work.Path, "sqlite");
        var shop = (await KestrelProcess.RunAsync(sqliteData, null, "project", "create", "Shop", "--json")).Json;
        TestProject Project(KestrelServer server) => new(shop.GetProperty("id").GetInt64(), "shop", shop.GetProperty("token").GetString()!,
            shop.GetProperty("public_key").GetString()!, server);
        await using (var server = await KestrelServer.StartAsync(dataDirectory: sqliteData))
            await Project(server).UploadOkAsync("1.0", ("static/js/app.min.js.map", map), ("static/js/app.min.js", await File.ReadAllBytesAsync(bundle)));
        var fromSqlite = Path.Combine(work.Path, "from-sqlite.tar.gz");
        Assert.Equal(0, (await KestrelProcess.RunAsync(sqliteData, null, "backup", fromSqlite)).ExitCode);

        var url = await PostgresCluster.CreateDatabaseAsync();
        var onPostgres = new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = url };
        var nodeData = Path.Combine(work.Path, "node");
        var restore = await KestrelProcess.RunAsync(nodeData, onPostgres, "restore", fromSqlite);
        Assert.True(restore.ExitCode == 0, restore.Stderr);
        Assert.Contains("1 project, 0 issues, 0 events, 1 map (and 1 other release file)", restore.Stdout);
        Assert.Equal("", restore.Stderr);
        Assert.False(Directory.Exists(Path.Combine(nodeData, "sourcemaps")), "PostgreSQL mode keeps maps in the database, not in a data directory");

        // In the database, and read back through the source-map store as a node reads it to resolve a frame.
        var options = new KestrelOptions { DatabaseUrl = url, DataDirectory = nodeData };
        var database = new Database(options);
        var store = new SourceMapStore(database, null, options, NullLogger<SourceMapStore>.Instance);
        var stored = Assert.Single(store.FindInRelease(shop.GetProperty("id").GetInt64(), "1.0", "", ["static/js/app.min.js.map"]));
        Assert.Equal(SourceContents.Sha256(map), stored.Sha256);
        Assert.Equal(map, store.ReadContent(stored));
        var resolver = SourceMapResolver.ForReading(database, options, NullLoggerFactory.Instance);
        using (var minified = JsonDocument.Parse(await NodeTools.ReportEventAsync(bundle, "1.0")))
        {
            var resolved = resolver.ResolveForDisplay(shop.GetProperty("id").GetInt64(), minified.RootElement);
            Assert.Equal("src/validate.js", resolved.Frames()[^1].GetProperty("filename").GetString());
        }

        // And back: PostgreSQL's archive has the same layout, passes verify, and a SQLite server resolves with it.
        var fromPostgres = Path.Combine(work.Path, "from-postgres.tar.gz");
        var backup = await KestrelProcess.RunAsync(nodeData, onPostgres, "backup", fromPostgres);
        Assert.True(backup.ExitCode == 0, backup.Stderr);
        Assert.Contains("1 map (and 1 other release file)", backup.Stdout);
        var verify = await KestrelProcess.RunAsync(nodeData, null, "verify", fromPostgres);
        Assert.True(verify.ExitCode == 0, verify.Stderr);
        var backData = Path.Combine(work.Path, "back");
        Assert.Equal(0, (await KestrelProcess.RunAsync(backData, null, "restore", fromPostgres)).ExitCode);
        Assert.Equal(map, await File.ReadAllBytesAsync(Path.Combine(backData, "sourcemaps", "shop", "1.0", "static", "js", "app.min.js.map")));
        await using var back = await KestrelServer.StartAsync(dataDirectory: backData);
        var project = Project(back);
        await project.IngestAsync(await NodeTools.ReportEventAsync(bundle, "1.0"));
        var top = (await project.OnlyIssueLatestEventAsync()).Frames()[^1];
        Assert.Equal("src/validate.js", top.GetProperty("filename").GetString());
        Assert.Equal("validateOrder", top.GetProperty("function").GetString());
    }

    [Fact]
    public async Task Backup_restore_and_verify_print_only_their_summary_line_without_a_terminal()
    {
        using var work = new TempDirectory();
        var url = await PostgresCluster.CreateDatabaseAsync();
        var onPostgres = new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = url };
        Assert.Equal(0, (await KestrelProcess.RunAsync(work.Path, onPostgres, "project", "create", "Shop")).ExitCode);
        var archive = Path.Combine(work.Path, "a.tar.gz");
        foreach (var (environment, args) in new (Dictionary<string, string>?, string[])[]
                 {
                     (onPostgres, ["backup", archive]), (null, ["verify", archive]), (null, ["restore", archive]),
                 })
        {
            var run = await KestrelProcess.RunAsync(Path.Combine(work.Path, "data"), environment, args);
            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Equal("", run.Stderr);
            Assert.Single(run.Stdout.TrimEnd('\n').Split('\n'));
            Assert.DoesNotContain("\r", run.Stdout);
            Assert.DoesNotContain("\x1b", run.Stdout);
        }
    }
}
