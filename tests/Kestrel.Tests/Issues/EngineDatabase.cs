using System.Security.Cryptography;
using Dapper;
using Kestrel.Platform;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Issues;

/// <summary>
/// A migrated database of one engine for in-process store tests: kestrel.db in a temp directory, or a fresh database of the
/// test run's PostgreSQL cluster. Rows are seeded with plain SQL that both engines accept, in the same order, so both
/// databases hold the same ids.
/// </summary>
public sealed class EngineDatabase : IDisposable
{
    private readonly TempDirectory directory;

    private EngineDatabase(string engine, TempDirectory directory, string? url)
    {
        Engine = engine;
        this.directory = directory;
        Options = new KestrelOptions { DataDirectory = directory.Path, DatabaseUrl = url };
        Database = Database.OpenAndMigrate(Options);
    }

    public string Engine { get; }
    public KestrelOptions Options { get; }
    public Database Database { get; }

    public static async Task<EngineDatabase> CreateAsync(string engine) =>
        new(engine, new TempDirectory(), engine == Engines.Postgres ? await PostgresCluster.CreateDatabaseAsync() : null);

    /// <summary>A database of each engine, SQLite first, each seeded by <paramref name="seed"/> in turn.</summary>
    public static async Task<List<EngineDatabase>> BothAsync(Action<EngineDatabase> seed)
    {
        var databases = new List<EngineDatabase>();
        foreach (var engine in new[] { Engines.Sqlite, Engines.Postgres })
        {
            var database = await CreateAsync(engine);
            databases.Add(database);
            seed(database);
        }
        return databases;
    }

    public override string ToString() => Engine;

    public long Project(string slug) => Scalar(
        "INSERT INTO projects (slug, name, token_hash, public_key, created_at) VALUES (@slug, @slug, @hash, @key, 0) RETURNING id",
        new { slug, hash = RandomNumberGenerator.GetBytes(32), key = slug + "-public-key" });

    public long Scalar(string sql, object? parameters = null) => Scalar<long>(sql, parameters);

    public T Scalar<T>(string sql, object? parameters = null)
    {
        using var connection = Database.Connect();
        return connection.ExecuteScalar<T>(sql, parameters)!;
    }

    public void Execute(string sql, object? parameters = null)
    {
        using var connection = Database.Connect();
        connection.Execute(sql, parameters);
    }

    public void Dispose() => directory.Dispose();
}
