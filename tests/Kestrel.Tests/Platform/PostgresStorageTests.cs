using Dapper;
using Kestrel.Platform;
using Kestrel.Tests.Support;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Kestrel.Tests.Platform;

/// <summary>
/// PostgreSQL as the storage engine (PRODUCT §13), against a real private cluster: its migrations, their advisory lock,
/// and what a command says when the database is wrong or the command is not ported yet.
/// </summary>
[Trait("Engine", "both")] // picks its engines itself
public sealed class PostgresStorageTests
{
    /// <summary>
    /// Tables only PostgreSQL has: what the data directory's secret files hold on SQLite, the stored event ids (the
    /// uniqueness a partitioned events table cannot hold), and the leases of work that runs on one node at a time.
    /// (events' day partitions are in the schema event_partitions, outside this comparison.)
    /// </summary>
    private const string PostgresOnly = "'secrets', 'event_ids', 'leases', 'source_contents', 'source_content_chunks', 'rate_limit_windows'";

    [Fact]
    public async Task Migrations_give_PostgreSQL_the_tables_columns_and_indexes_of_SQLite()
    {
        using var data = new TempDirectory();
        Database.OpenAndMigrate(new KestrelOptions { DataDirectory = data.Path });
        var url = await PostgresCluster.CreateDatabaseAsync();
        Database.OpenAndMigrate(new KestrelOptions { DatabaseUrl = url });

        using var sqlite = new SqliteConnection($"Data Source={Path.Combine(data.Path, "kestrel.db")}");
        var sqliteColumns = sqlite.Query<string>(
            "SELECT m.name || '.' || c.name FROM sqlite_schema m, pragma_table_info(m.name) c WHERE m.type = 'table' ORDER BY 1").ToList();
        var sqliteIndexes = sqlite.Query<string>("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY 1").ToList();

        await using var postgres = new NpgsqlConnection(PostgresUrl.ToConnectionString(url));
        var postgresColumns = postgres.Query<string>(
            "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT IN (" + PostgresOnly + ")").Order(StringComparer.Ordinal).ToList();
        // Constraint indexes (primary keys, UNIQUE) have names of their own in each engine; the named ones must match.
        var postgresIndexes = postgres.Query<string>(
            "SELECT indexname FROM pg_indexes i WHERE schemaname = 'public' AND tablename NOT IN (" + PostgresOnly + ") AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)").Order(StringComparer.Ordinal).ToList();

        Assert.Equal(sqliteColumns.Order(StringComparer.Ordinal), postgresColumns);
        Assert.Equal(sqliteIndexes.Order(StringComparer.Ordinal), postgresIndexes);
        Assert.Equal(Migrations.Embedded().Select(m => m.Version), Migrations.EmbeddedForPostgres().Select(m => m.Version));
    }

    [Fact]
    public async Task A_migrator_waits_for_the_advisory_lock_so_nodes_starting_together_migrate_once()
    {
        using var data = new TempDirectory();
        var url = await PostgresCluster.CreateDatabaseAsync();
        await using var holder = new NpgsqlConnection(PostgresUrl.ToConnectionString(url));
        await holder.OpenAsync();
        // Held by "another node that is migrating": the command must wait for it, not migrate alongside it.
        await holder.ExecuteAsync("SELECT pg_advisory_lock(@key)", new { key = Migrations.PostgresLockKey });
        var waiting = KestrelProcess.RunAsync(data.Path, new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = url }, "project", "create", "app", "--json");

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await holder.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == 0)
        {
            Assert.False(waiting.IsCompleted, "the command finished while another migrator held the lock");
            Assert.True(DateTime.UtcNow < deadline, "the command never queued on the migration lock");
            await Task.Delay(50);
        }
        Assert.Equal(0, await holder.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'projects'"));

        await holder.ExecuteAsync("SELECT pg_advisory_unlock_all()");
        var created = await waiting;
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.Equal(Migrations.EmbeddedForPostgres().Count, await holder.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Commands_started_together_on_a_fresh_database_all_work()
    {
        var url = await PostgresCluster.CreateDatabaseAsync();
        var environment = new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = url };
        var directories = Enumerable.Range(0, 4).Select(_ => new TempDirectory()).ToList();
        try
        {
            var results = await Task.WhenAll(directories.Select(d => KestrelProcess.RunAsync(d.Path, environment, "project", "create", "Shop", "--json")));
            Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Stderr));
            Assert.Equal(["shop", "shop-2", "shop-3", "shop-4"], results.Select(r => r.Json.GetProperty("slug").GetString()).Order(StringComparer.Ordinal));
            // SQLite's data directory is not used on PostgreSQL: no kestrel.db appears anywhere.
            Assert.All(directories, d => Assert.False(File.Exists(Path.Combine(d.Path, "kestrel.db"))));

            var list = await KestrelProcess.RunAsync(directories[0].Path, environment, "project", "list", "--json");
            Assert.Equal(4, list.Json.GetArrayLength());
        }
        finally { directories.ForEach(d => d.Dispose()); }
    }

    [Fact]
    public async Task Migrators_racing_in_one_process_apply_each_version_once()
    {
        var url = await PostgresCluster.CreateDatabaseAsync();
        using var start = new Barrier(6);
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            Database.OpenAndMigrate(new KestrelOptions { DatabaseUrl = url });
        })));
        await using var connection = new NpgsqlConnection(PostgresUrl.ToConnectionString(url));
        Assert.Equal(Migrations.EmbeddedForPostgres().Select(m => m.Version), connection.Query<int>("SELECT version FROM schema_migrations ORDER BY version"));
    }

    [Fact]
    public async Task Ready_means_reachable_with_exactly_the_expected_schema_and_comes_back_without_a_restart()
    {
        var url = await PostgresCluster.CreateDatabaseAsync();
        var database = Database.OpenAndMigrate(new KestrelOptions { DatabaseUrl = url });
        Assert.True(database.IsReady());

        await using var connection = new NpgsqlConnection(PostgresUrl.ToConnectionString(url));
        var newest = Migrations.EmbeddedForPostgres()[^1];
        await connection.ExecuteAsync("DELETE FROM schema_migrations WHERE version = @Version", new { newest.Version });
        Assert.False(database.IsReady()); // a restore of an older database, say: not ready until migrated
        await connection.ExecuteAsync("INSERT INTO schema_migrations VALUES (@Version, @Name, '2026-01-01 00:00:00')", new { newest.Version, newest.Name });
        Assert.True(database.IsReady());

        var cluster = await PostgresCluster.GetAsync();
        Assert.False(new Database(new KestrelOptions { DatabaseUrl = $"postgres://kestrel@127.0.0.1:1/kestrel" }).IsReady());
        Assert.False(new Database(new KestrelOptions { DatabaseUrl = $"postgres://kestrel@127.0.0.1:{cluster.Port}/no_such_database" }).IsReady());
    }

    [Fact]
    public async Task A_database_with_a_newer_schema_is_refused_with_one_sentence_and_nothing_written()
    {
        using var data = new TempDirectory();
        var url = await PostgresCluster.CreateDatabaseAsync();
        var environment = new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = url };
        Assert.Equal(0, (await KestrelProcess.RunAsync(data.Path, environment, "project", "list")).ExitCode);
        await using var connection = new NpgsqlConnection(PostgresUrl.ToConnectionString(url));
        await connection.ExecuteAsync("INSERT INTO schema_migrations VALUES (9999, '9999_from_the_future', '2030-01-01 00:00:00')");

        var result = await KestrelProcess.RunAsync(data.Path, environment, "project", "create", "app");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"kestrel: The PostgreSQL database has schema version 9999, newer than this Kestrel knows ({Migrations.EmbeddedForPostgres()[^1].Version}): run the newer Kestrel that upgraded it.",
            result.Stderr.Trim());
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM projects"));
    }

    [Fact]
    public async Task An_unreachable_or_missing_database_gets_one_sentence_naming_it_without_the_password()
    {
        using var data = new TempDirectory();
        var cluster = await PostgresCluster.GetAsync();
        foreach (var (url, names) in new[]
        {
            ($"postgres://kestrel:hunter2@127.0.0.1:{cluster.Port}/no_such_database", $"PostgreSQL database no_such_database on 127.0.0.1:{cluster.Port} cannot be used: "),
            ("postgres://kestrel:hunter2@127.0.0.1:1/kestrel", "PostgreSQL database kestrel on 127.0.0.1:1 cannot be used: "),
        })
        {
            var result = await KestrelProcess.RunAsync(data.Path, new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = url }, "project", "list");
            Assert.Equal(2, result.ExitCode);
            Assert.StartsWith("kestrel: " + names, result.Stderr);
            Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.DoesNotContain("hunter2", result.Stderr);
            Assert.Empty(Directory.GetFileSystemEntries(data.Path));
        }
    }

    [Fact]
    public async Task A_malformed_url_stops_every_command_with_one_sentence()
    {
        using var data = new TempDirectory();
        var result = await KestrelProcess.RunAsync(data.Path, new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = "postgres://kestrel:hunter2@db.internal" }, "project", "list");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("kestrel: Setting KESTREL_DATABASE_URL must look like postgres://user:password@host:5432/database: it must name one database after the host, as in /kestrel.",
            result.Stderr.Trim());
    }

    [Fact]
    public async Task Backup_on_PostgreSQL_writes_the_archive_of_SQLite_so_the_move_back_is_a_restore()
    {
        using var work = new TempDirectory();
        var onPostgres = new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = await PostgresCluster.CreateDatabaseAsync() };
        var shop = (await KestrelProcess.RunAsync(work.Path, onPostgres, "project", "create", "Shop", "--json")).Json;
        Assert.Equal(0, (await KestrelProcess.RunAsync(work.Path, onPostgres, "project", "create", "Blog")).ExitCode);
        // Maps of some earlier SQLite database in the data directory are not this database's: left out.
        Directory.CreateDirectory(Path.Combine(work.Path, "sourcemaps", "1", "v1"));
        File.WriteAllText(Path.Combine(work.Path, "sourcemaps", "1", "v1", "app.js.map"), "{\"version\":3,\"sources\":[],\"names\":[],\"mappings\":\"\"}");
        var archive = Path.Combine(work.Path, "snap.tar.gz");

        var backup = await KestrelProcess.RunAsync(work.Path, onPostgres, "backup", archive, "--json");
        Assert.True(backup.ExitCode == 0, backup.Stderr);
        Assert.Equal(2, backup.Json.GetProperty("projects").GetInt64());
        Assert.Equal(0, backup.Json.GetProperty("maps").GetInt64());
        Assert.False(File.Exists(Path.Combine(work.Path, "kestrel.db")));
        var verify = await KestrelProcess.RunAsync(work.Path, onPostgres, "verify", archive);
        Assert.True(verify.ExitCode == 0, verify.Stderr);

        using var sqlite = new TempDirectory();
        var restore = await KestrelProcess.RunAsync(sqlite.Path, null, "restore", archive);
        Assert.True(restore.ExitCode == 0, restore.Stderr);
        var before = (await KestrelProcess.RunAsync(work.Path, onPostgres, "project", "list", "--json")).Stdout;
        Assert.Equal(before, (await KestrelProcess.RunAsync(sqlite.Path, null, "project", "list", "--json")).Stdout);

        // The token made on PostgreSQL works on the SQLite server: its hash came across, and so did the project's id.
        await using var server = await KestrelServer.StartAsync(dataDirectory: sqlite.Path);
        var project = new TestProject(shop.GetProperty("id").GetInt64(), "shop", shop.GetProperty("token").GetString()!, shop.GetProperty("public_key").GetString()!, server);
        await project.IngestAsync(Events.Message("after the move"));
        Assert.Single(await project.IssuesAsync());
    }

    [Fact]
    public async Task Restore_moves_a_SQLite_archive_into_an_empty_PostgreSQL_database_and_backup_moves_it_back()
    {
        using var work = new TempDirectory();
        var sqliteData = Path.Combine(work.Path, "sqlite");
        var shop = (await KestrelProcess.RunAsync(sqliteData, null, "project", "create", "Shop", "--json")).Json;
        long issueId;
        await using (var server = await KestrelServer.StartAsync(dataDirectory: sqliteData))
        {
            var project = new TestProject(shop.GetProperty("id").GetInt64(), "shop", shop.GetProperty("token").GetString()!, shop.GetProperty("public_key").GetString()!, server);
            await project.IngestAsync(Events.Message("moved with its issue"));
            issueId = Assert.Single(await project.IssuesAsync()).GetProperty("id").GetInt64();
        }
        var fromSqlite = Path.Combine(work.Path, "from-sqlite.tar.gz");
        var sqliteBackup = await KestrelProcess.RunAsync(sqliteData, null, "backup", fromSqlite);
        Assert.True(sqliteBackup.ExitCode == 0, sqliteBackup.Stderr);

        var url = await PostgresCluster.CreateDatabaseAsync();
        var onPostgres = new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = url };
        var nodeData = Path.Combine(work.Path, "node");
        var restore = await KestrelProcess.RunAsync(nodeData, onPostgres, "restore", fromSqlite);
        Assert.True(restore.ExitCode == 0, restore.Stderr);
        Assert.Contains(" into PostgreSQL database ", restore.Stdout);
        Assert.Contains("1 project, 1 issue, 1 event", restore.Stdout);
        Assert.Equal((await KestrelProcess.RunAsync(sqliteData, null, "project", "list", "--json")).Stdout,
            (await KestrelProcess.RunAsync(nodeData, onPostgres, "project", "list", "--json")).Stdout);
        await using (var connection = new NpgsqlConnection(PostgresUrl.ToConnectionString(url)))
        {
            Assert.Equal(issueId, await connection.ExecuteScalarAsync<long>("SELECT id FROM issues"));
            Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM events WHERE issue_id = @issueId", new { issueId }));
        }
        // The identities moved past the archive's ids: a new project does not collide with a restored one.
        var blog = await KestrelProcess.RunAsync(nodeData, onPostgres, "project", "create", "Blog", "--json");
        Assert.True(blog.ExitCode == 0, blog.Stderr);
        Assert.Equal(shop.GetProperty("id").GetInt64() + 1, blog.Json.GetProperty("id").GetInt64());

        var again = await KestrelProcess.RunAsync(nodeData, onPostgres, "restore", fromSqlite);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("is not empty (its ", again.Stderr);
        Assert.Contains("kestrel restore loads an archive only into an empty database.", again.Stderr);

        // And back: a backup of the PostgreSQL database restored on SQLite serves the same issue to the same token.
        var fromPostgres = Path.Combine(work.Path, "from-postgres.tar.gz");
        var postgresBackup = await KestrelProcess.RunAsync(nodeData, onPostgres, "backup", fromPostgres);
        Assert.True(postgresBackup.ExitCode == 0, postgresBackup.Stderr);
        var backData = Path.Combine(work.Path, "back");
        var restoreBack = await KestrelProcess.RunAsync(backData, null, "restore", fromPostgres);
        Assert.True(restoreBack.ExitCode == 0, restoreBack.Stderr);
        await using var back = await KestrelServer.StartAsync(dataDirectory: backData);
        var moved = new TestProject(shop.GetProperty("id").GetInt64(), "shop", shop.GetProperty("token").GetString()!, shop.GetProperty("public_key").GetString()!, back);
        Assert.Equal(issueId, Assert.Single(await moved.IssuesAsync()).GetProperty("id").GetInt64());
    }

    /// <summary>
    /// Events that arrived on four days, 3 days apart, restored into PostgreSQL: each lands straight in its day's
    /// partition (the row's tableoid says where it is), none in the default partition, so the upkeep has nothing to move.
    /// </summary>
    [Fact]
    public async Task Restore_puts_the_events_of_each_day_straight_into_that_day_s_partition()
    {
        using var work = new TempDirectory();
        var sqliteData = Path.Combine(work.Path, "sqlite");
        var shop = (await KestrelProcess.RunAsync(sqliteData, null, "project", "create", "Shop", "--json")).Json;
        await using (var server = await KestrelServer.StartAsync(dataDirectory: sqliteData))
        {
            var project = new TestProject(shop.GetProperty("id").GetInt64(), "shop", shop.GetProperty("token").GetString()!, shop.GetProperty("public_key").GetString()!, server);
            for (var i = 0; i < 8; i++) await project.IngestAsync(Events.Message($"event {i}"));
        }
        // Two events a day: the n-th pair arrived 3n days ago (the server stamps arrival with its clock, so move them back).
        using (var sqlite = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(sqliteData, "kestrel.db"), Pooling = false }.ToString()))
            sqlite.Execute($"UPDATE events SET received_at = received_at - (SELECT COUNT(*) FROM events e WHERE e.id < events.id) / 2 * 3 * {Kestrel.Retention.EventPartitions.DayMs}");
        var archive = Path.Combine(work.Path, "days.tar.gz");
        var backup = await KestrelProcess.RunAsync(sqliteData, null, "backup", archive);
        Assert.True(backup.ExitCode == 0, backup.Stderr);

        var url = await PostgresCluster.CreateDatabaseAsync();
        var restore = await KestrelProcess.RunAsync(Path.Combine(work.Path, "node"), new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = url }, "restore", archive);
        Assert.True(restore.ExitCode == 0, restore.Stderr);

        await using var connection = new NpgsqlConnection(PostgresUrl.ToConnectionString(url));
        var placed = (await connection.QueryAsync<(long ReceivedAt, string Partition)>(
            "SELECT e.received_at, c.relname FROM events e JOIN pg_class c ON c.oid = e.tableoid")).ToList();
        Assert.Equal(8, placed.Count);
        Assert.All(placed, e => Assert.Equal(Kestrel.Retention.EventPartitions.NameOf(Kestrel.Retention.EventPartitions.DayOf(e.ReceivedAt)), e.Partition));
        Assert.Equal(4, placed.Select(e => e.Partition).Distinct().Count());
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM event_partitions.events_default"));
        var children = (await connection.QueryAsync<string>(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'public.events'::regclass")).ToHashSet();
        Assert.Superset(children, placed.Select(e => e.Partition).Append("events_default").ToHashSet());
    }
}
