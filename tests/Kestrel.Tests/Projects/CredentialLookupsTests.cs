using Dapper;
using Kestrel.Platform;
using Kestrel.Projects;
using Kestrel.Tests.Support;
using Npgsql;

namespace Kestrel.Tests.Projects;

/// <summary>
/// The look-ups by credential run on connections kept open with prepared statements, but nothing is cached: a token
/// rotated through another store (the CLI's process, another node) is refused on the next look-up, on both engines.
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

    [Theory, MemberData(nameof(Engines.Both), MemberType = typeof(Engines))]
    public async Task A_rotated_token_is_refused_at_the_next_look_up_and_the_new_one_works(string engine)
    {
        var options = await OptionsAsync(engine);
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
}
