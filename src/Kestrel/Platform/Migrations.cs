using System.Reflection;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Kestrel.Platform;

/// <summary>
/// Applies the numbered Migrations/NNNN_name.sql files embedded in the binary, in order, each in its
/// own transaction, recording them in schema_migrations. Shipped files are never edited: add a new one.
/// </summary>
public static class Migrations
{
    private const string Prefix = "Kestrel.Migrations.";

    public static IReadOnlyList<(int Version, string Name)> Embedded() =>
        typeof(Migrations).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => n[Prefix.Length..^4])
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
            connection.Execute(ReadScript(name), transaction: transaction);
            connection.Execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, datetime('now'))",
                new { version, name }, transaction);
            transaction.Commit();
        }
    }

    private static string ReadScript(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(Prefix + name + ".sql")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
