namespace Kestrel.Tests.Support;

/// <summary>
/// The storage engine as a test parameter: a test written once runs on SQLite (the data directory) and on PostgreSQL
/// (a fresh database of the test run's <see cref="PostgresCluster"/>). Use <c>[Theory, MemberData(nameof(Engines.Both), MemberType = typeof(Engines))]</c>.
/// </summary>
public static class Engines
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public static TheoryData<string> Both => new() { Sqlite, Postgres };

    /// <summary>
    /// The environment a kestrel process needs for <paramref name="engine"/>: nothing for SQLite, KESTREL_DATABASE_URL of a
    /// new empty database for PostgreSQL; <paramref name="more"/> is added to it.
    /// </summary>
    public static async Task<Dictionary<string, string>> EnvironmentAsync(string engine, IReadOnlyDictionary<string, string>? more = null)
    {
        var environment = more is null ? [] : new Dictionary<string, string>(more);
        if (engine == Postgres) environment["KESTREL_DATABASE_URL"] = await PostgresCluster.CreateDatabaseAsync();
        else Assert.Equal(Sqlite, engine);
        return environment;
    }
}
