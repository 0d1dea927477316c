using System.Collections.Concurrent;

namespace Kestrel.Tests.Support;

/// <summary>
/// The storage engine of the tests, chosen two ways:
/// <list type="bullet">
/// <item>for the whole run, by <c>KESTREL_TEST_ENGINE</c> (<c>sqlite</c>, the default, or <c>postgres</c>): on PostgreSQL
/// every kestrel process a test starts for a data directory gets that directory's own fresh database of the run's
/// <see cref="PostgresCluster"/> (<see cref="DatabaseUrlFor"/>), so the same end-to-end tests run on both engines.
/// <c>scripts/test.sh</c> runs the suite once per engine. A test that is SQLite's by nature (kestrel.db files, WAL, the
/// sqlite3 tool, the data directory's lock) carries <c>[Trait("Engine", "sqlite")]</c> and is left out of the PostgreSQL
/// run; one that picks its engines itself carries <c>[Trait("Engine", "both")]</c>.</item>
/// <item>per test, as a parameter: <c>[Theory, MemberData(nameof(Engines.Both), MemberType = typeof(Engines))]</c> with
/// <see cref="EnvironmentAsync"/>.</item>
/// </list>
/// </summary>
public static class Engines
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public static TheoryData<string> Both => new() { Sqlite, Postgres };

    /// <summary>The engine of this test run (<c>KESTREL_TEST_ENGINE</c>).</summary>
    public static string Current { get; } = Environment.GetEnvironmentVariable("KESTREL_TEST_ENGINE") switch
    {
        null or "" or Sqlite => Sqlite,
        Postgres => Postgres,
        var other => throw new InvalidOperationException($"KESTREL_TEST_ENGINE must be {Sqlite} or {Postgres}, not '{other}'."),
    };

    private static readonly ConcurrentDictionary<string, Lazy<string>> Databases = new();

    /// <summary>
    /// On a PostgreSQL run, the KESTREL_DATABASE_URL of <paramref name="dataDirectory"/>: a fresh database made on first
    /// use, then the same one for every later process of that directory (a restart finds its data, a CLI command sees
    /// the server's projects). Null on a SQLite run.
    /// </summary>
    public static string? DatabaseUrlFor(string dataDirectory) => Current != Postgres ? null
        : Databases.GetOrAdd(Path.GetFullPath(dataDirectory),
            // Task.Run: no synchronisation context to block on (this is reached from synchronous process set-up).
            _ => new Lazy<string>(() => Task.Run(PostgresCluster.CreateDatabaseAsync).GetAwaiter().GetResult())).Value;

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
