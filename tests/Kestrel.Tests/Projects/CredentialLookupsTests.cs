using System.Diagnostics;
using Dapper;
using Kestrel.Platform;
using Kestrel.Projects;
using Kestrel.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Kestrel.Tests.Projects;

/// <summary>
/// The look-ups by credential run on connections kept open with prepared statements. On SQLite nothing is cached: a token
/// rotated through another store (the CLI's process) is refused on the next look-up. On PostgreSQL a project found is
/// kept for a second, and a rotation anywhere notifies every node, which forgets what it kept.
/// </summary>
[Trait("Engine", "both")] // picks its engines itself
public sealed class CredentialLookupsTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("kestrel-lookups-");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        directory.Delete(recursive: true);
    }

    private async Task<KestrelOptions> OptionsAsync(string engine) => new()
    {
        DataDirectory = directory.FullName,
        DatabaseUrl = engine == Engines.Postgres ? await PostgresCluster.CreateDatabaseAsync() : null,
    };

    [Fact]
    public async Task On_SQLite_a_rotated_token_is_refused_at_the_next_look_up_and_the_new_one_works()
    {
        var options = await OptionsAsync(Engines.Sqlite);
        using var server = new ProjectStore(Database.OpenAndMigrate(options));
        var cli = new ProjectStore(new Database(options)); // another process's store
        var created = cli.Create("shop", 0);

        // Warm: the look-up's connection and statements exist and are kept.
        for (var i = 0; i < 3; i++) Assert.Equal(created.Project.Id, server.FindBySecretToken(created.Token)?.Id);
        Assert.Equal(created.Project.Id, server.FindByPublicKey(created.Project.PublicKey)?.Id);

        var rotated = cli.RotateToken("shop");
        Assert.Null(server.FindBySecretToken(created.Token));
        Assert.Equal(created.Project.Id, server.FindBySecretToken(rotated.Token)?.Id);
        Assert.Equal(created.Project.Id, server.FindByPublicKey(created.Project.PublicKey)?.Id);
        Assert.Null(server.FindByPublicKey(new string('0', 32)));
    }

    [Fact]
    public async Task On_PostgreSQL_a_project_found_is_kept_for_at_most_a_second_and_a_rotation_anywhere_clears_it()
    {
        var options = await OptionsAsync(Engines.Postgres);
        var database = Database.OpenAndMigrate(options);
        using var server = new ProjectStore(database);
        var cli = new ProjectStore(new Database(options)); // another process's store, or another node's
        var created = cli.Create("shop", 0);
        var id = created.Project.Id;

        // Changed behind every store's back (no notification): the project found is kept, then forgotten within a second.
        await using (var admin = new NpgsqlConnection(PostgresUrl.ToConnectionString(options.DatabaseUrl!)))
        {
            await admin.OpenAsync();
            Assert.Equal(id, server.FindBySecretToken(created.Token)?.Id);
            await admin.ExecuteAsync("UPDATE projects SET token_hash = '\\x00'::bytea");
            Assert.Equal(id, server.FindBySecretToken(created.Token)?.Id);
        }
        var since = Stopwatch.StartNew();
        while (server.FindBySecretToken(created.Token) is not null)
        {
            Assert.True(since.Elapsed < TimeSpan.FromSeconds(2), "the old token was still taken 2 s after the change");
            await Task.Delay(20);
        }

        // A rotation through another store notifies this node's listener, which forgets what it kept.
        var listener = new ProjectChangeListener(database, server, NullLogger<ProjectChangeListener>.Instance);
        await listener.StartAsync(CancellationToken.None);
        try
        {
            var heard = listener.Heard;
            var first = cli.RotateToken("shop");
            await HeardAsync(listener, heard);
            Assert.Equal(id, server.FindBySecretToken(first.Token)?.Id); // kept now
            heard = listener.Heard;
            var second = cli.RotateToken("shop");
            await HeardAsync(listener, heard);
            Assert.Null(server.FindBySecretToken(first.Token));
            Assert.Equal(id, server.FindBySecretToken(second.Token)?.Id);
        }
        finally { await listener.StopAsync(CancellationToken.None); }
    }

    private static async Task HeardAsync(ProjectChangeListener listener, long before)
    {
        var since = Stopwatch.StartNew();
        while (listener.Heard == before)
        {
            Assert.True(since.Elapsed < TimeSpan.FromSeconds(2), "no notification of the rotation within 2 s");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_kept_connection_that_the_database_dropped_is_replaced_without_failing_the_look_up()
    {
        var options = await OptionsAsync(Engines.Postgres);
        using var server = new ProjectStore(Database.OpenAndMigrate(options));
        var created = new ProjectStore(new Database(options)).Create("shop", 0);
        Assert.NotNull(server.FindBySecretToken(created.Token));

        // What a restart of PostgreSQL or an idle timeout does to the kept connections: they end under the look-ups.
        await using (var admin = new NpgsqlConnection(PostgresUrl.ToConnectionString(options.DatabaseUrl!)))
        {
            await admin.OpenAsync();
            var ended = await admin.ExecuteScalarAsync<long>(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
            Assert.True(ended > 0);
        }
        Assert.Equal(created.Project.Id, server.FindBySecretToken(created.Token)?.Id);
        Assert.Equal(created.Project.Id, server.FindByPublicKey(created.Project.PublicKey)?.Id);
    }

    /// <summary>
    /// SQLite's look-ups wait for a lock inside SQLite (busy_timeout), which the writer's statements must not inherit:
    /// a look-up connection let go (more in use at once than are kept, or the store disposed) goes back to the pool the
    /// writer's connections come from, and must go back as it came.
    /// </summary>
    [Fact]
    public async Task On_SQLite_look_up_connections_go_back_to_the_pool_without_their_busy_timeout()
    {
        var options = await OptionsAsync(Engines.Sqlite);
        var database = Database.OpenAndMigrate(options);
        var created = new ProjectStore(new Database(options)).Create("shop", 0);
        using (var store = new ProjectStore(database))
        {
            // More look-ups at once than connections are kept: the ones over the limit are let go at once.
            Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 24 }, _ => Assert.NotNull(store.FindBySecretToken(created.Token)));
        }

        var pooled = Enumerable.Range(0, 24).Select(_ => database.Open()).ToList();
        try
        {
            Assert.All(pooled, c => Assert.Equal(0L, c.ExecuteScalar<long>("PRAGMA busy_timeout;")));
        }
        finally
        {
            pooled.ForEach(c => c.Dispose());
        }
    }
}
