using Dapper;
using Kestrel.Platform;
using Kestrel.Tests.Support;
using Npgsql;

namespace Kestrel.Tests.SourceMaps;

/// <summary>
/// Which maps and release files a server holds, on either engine: on SQLite the files under its data directory's
/// sourcemaps/, on PostgreSQL the index rows whose content is in the database. Paths are relative to sourcemaps/.
/// </summary>
public static class StoredFiles
{
    public static IReadOnlyList<string> Paths(KestrelServer server, string prefix = "")
    {
        if (Engines.DatabaseUrlFor(server.DataDirectory) is { } url)
        {
            Assert.False(Directory.Exists(Path.Combine(server.DataDirectory, "sourcemaps")), "on PostgreSQL no map is kept in the data directory");
            using var connection = new NpgsqlConnection(PostgresUrl.ToConnectionString(url));
            return connection.Query<string>(
                "SELECT f.file_path FROM source_files f JOIN source_contents c ON c.sha256 = f.sha256 WHERE starts_with(f.file_path, @prefix) ORDER BY 1",
                new { prefix }).AsList();
        }
        var root = Path.Combine(server.DataDirectory, "sourcemaps");
        if (!Directory.Exists(root)) return [];
        return Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
    }

    public static bool Exists(KestrelServer server, string path) => Paths(server, path).Contains(path);
}
