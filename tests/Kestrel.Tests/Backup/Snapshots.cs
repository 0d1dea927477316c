using Kestrel.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Kestrel.Tests.Backup;

/// <summary>What the backup tests share: hand-written source maps in a data directory, and reading a database as it is on disk.</summary>
internal static class Snapshots
{
    public const string ValidMap = """{"version":3,"file":"app.min.js","sources":["src/app.ts"],"names":["handle"],"mappings":"AAAA,SAASA"}""";
    public const string IndexMap = """{"version":3,"sections":[{"offset":{"line":0,"column":0},"map":{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}}]}""";

    /// <summary>Writes a map at <c>sourcemaps/&lt;relative&gt;</c>, the way the source-map store lays them out.</summary>
    public static string WriteMap(string dataDirectory, string relative, string content = ValidMap)
    {
        var path = Path.Combine(dataDirectory, "sourcemaps", relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>A separate read connection, as any other reader of the live database.</summary>
    public static long Scalar(string database, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static HashSet<string> EventIds(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT event_id FROM events";
        var ids = new HashSet<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) ids.Add(reader.GetString(0));
        return ids;
    }

    public static Task<KestrelProcess.CliResult> Kestrel(string dataDirectory, params string[] args) => KestrelProcess.RunAsync(dataDirectory, null, args);
}
