using System.Reflection;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Kestrel.Platform;

/// <summary>
/// Applies the numbered NNNN_name.sql files embedded in the binary, in order, each in its own transaction, recording
/// them in schema_migrations. SQLite's are in Migrations/, PostgreSQL's in Migrations/postgres/, with the same numbers:
/// a version means the same tables on both engines. Shipped files are never edited: add a new one.
/// </summary>
public static class Migrations
{
    private const string SqlitePrefix = "Kestrel.Migrations.";
    private const string PostgresPrefix = "Kestrel.PostgresMigrations.";

    /// <summary>
    /// Key of the session-level advisory lock that PostgreSQL migrations run under ("kestrel migrations" as a number):
    /// nodes starting together queue on it, and each finds the versions the first one applied.
    /// </summary>
    internal const long PostgresLockKey = 0x6B65_7374_7265_6C4D;

    public static IReadOnlyList<(int Version, string Name)> Embedded() => Embedded(SqlitePrefix);

    public static IReadOnlyList<(int Version, string Name)> EmbeddedForPostgres() => Embedded(PostgresPrefix);

    private static List<(int Version, string Name)> Embedded(string prefix) =>
        typeof(Migrations).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => n[prefix.Length..^4])
            .Select(n => (Version: int.Parse(n[..4], System.Globalization.CultureInfo.InvariantCulture), Name: n))
            .OrderBy(m => m.Version)
            .ToList();

    public static void Apply(SqliteConnection connection)
    {
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
        foreach (var (version, name) in Embedded())
        {
            // IMMEDIATE takes the write lock first, so a CLI command and the server starting together
            // cannot both apply the same migration.
            using var transaction = connection.BeginTransaction(deferred: false);
            var applied = connection.ExecuteScalar<long>("SELECT COUNT(*) FROM schema_migrations WHERE version = @version", new { version }, transaction);
            if (applied > 0) continue;
            connection.Execute(ReadScript(SqlitePrefix, name), transaction: transaction);
            connection.Execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, datetime('now'))",
                new { version, name }, transaction);
            transaction.Commit();
        }
    }

    /// <summary>
    /// PostgreSQL: the same steps under an advisory lock held for the whole run (released when this connection closes,
    /// also when the process dies). A database whose schema is newer than this binary knows is refused: an older node
    /// must not write to tables it does not understand.
    /// </summary>
    public static void Apply(NpgsqlConnection connection)
    {
        connection.Execute("SELECT pg_advisory_lock(@key)", new { key = PostgresLockKey });
        try
        {
            connection.Execute("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)");
            var embedded = EmbeddedForPostgres();
            var newest = connection.ExecuteScalar<int?>("SELECT MAX(version) FROM schema_migrations") ?? 0;
            if (newest > embedded[^1].Version)
                throw new ConfigurationException($"The PostgreSQL database has schema version {newest}, newer than this Kestrel knows ({embedded[^1].Version}): run the newer Kestrel that upgraded it.");
            var applied = connection.Query<int>("SELECT version FROM schema_migrations").ToHashSet();
            foreach (var (version, name) in embedded.Where(m => !applied.Contains(m.Version)))
            {
                using var transaction = connection.BeginTransaction();
                connection.Execute(ReadScript(PostgresPrefix, name), transaction: transaction);
                connection.Execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))",
                    new { version, name }, transaction);
                transaction.Commit();
            }
        }
        finally
        {
            connection.Execute("SELECT pg_advisory_unlock(@key)", new { key = PostgresLockKey });
        }
    }

    /// <summary>True when every PostgreSQL migration this binary embeds is recorded: the schema it expects (/healthz/ready).</summary>
    public static bool IsCurrent(NpgsqlConnection connection) =>
        connection.Query<int>("SELECT version FROM schema_migrations").ToHashSet().SetEquals(EmbeddedForPostgres().Select(m => m.Version));

    private static string ReadScript(string prefix, string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(prefix + name + ".sql")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
