using Npgsql;

namespace Kestrel.Bench;

/// <summary>
/// With <c>--database-url</c>, every Kestrel the bench starts gets a fresh PostgreSQL database on that server, made
/// before it starts and dropped after it stops, so runs compare like with like (as each gets a fresh data directory on
/// SQLite). The URL's user must be allowed to create databases; the URL's own database is only used to connect.
/// </summary>
public static class BenchDatabases
{
    /// <summary>The server of <c>--database-url</c>, or null on SQLite.</summary>
    public static Uri? Server { get; set; }

    /// <summary>A new empty database; returns its KESTREL_DATABASE_URL.</summary>
    public static async Task<string> CreateAsync(Uri server)
    {
        var name = $"kestrel_bench_{Guid.NewGuid():N}"[..26];
        await using var connection = new NpgsqlConnection(ConnectionString(server));
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return new UriBuilder(server) { Path = "/" + name }.Uri.ToString();
    }

    public static async Task DropAsync(Uri server, string databaseUrl)
    {
        var name = new Uri(databaseUrl).AbsolutePath.TrimStart('/');
        await using var connection = new NpgsqlConnection(ConnectionString(server));
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Rows in <paramref name="table"/> of the database of <paramref name="databaseUrl"/>.</summary>
    public static long CountRows(string databaseUrl, string table)
    {
        using var connection = new NpgsqlConnection(ConnectionString(new Uri(databaseUrl)));
        connection.Open();
        using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
        return (long)command.ExecuteScalar()!;
    }

    private static string ConnectionString(Uri server)
    {
        var user = server.UserInfo.Split(':', 2);
        return new NpgsqlConnectionStringBuilder
        {
            Host = server.Host,
            Port = server.IsDefaultPort || server.Port <= 0 ? 5432 : server.Port,
            Username = Uri.UnescapeDataString(user[0]),
            Password = user.Length > 1 ? Uri.UnescapeDataString(user[1]) : null,
            Database = server.AbsolutePath.TrimStart('/') is { Length: > 0 } database ? database : "postgres",
            Pooling = false,
        }.ConnectionString;
    }
}
