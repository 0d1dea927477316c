using Dapper;
using Kestrel.Platform;
using Microsoft.Data.Sqlite;

namespace Kestrel.Tests.Platform;

public sealed class SqliteStatementTests
{
    [Fact]
    public void A_bound_blob_is_copied_so_its_array_may_be_reused_before_the_statement_runs()
    {
        // Event payloads are bound from pooled arrays, which other requests reuse once they are given back.
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        connection.Execute("CREATE TABLE t (b BLOB)");
        using var insert = new SqliteStatement(connection, "INSERT INTO t (b) VALUES (?1)");
        var array = new byte[] { 1, 2, 3, 4 };

        insert.Bind(1, array.AsSpan(0, 3));
        array.AsSpan().Fill(0xEE);

        Assert.Equal(1, insert.Run());
        Assert.Equal([1, 2, 3], connection.ExecuteScalar<byte[]>("SELECT b FROM t"));
    }
}
