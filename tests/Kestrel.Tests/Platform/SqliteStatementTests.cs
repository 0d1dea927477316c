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
        using var connection = InMemory("CREATE TABLE t (b BLOB)");
        using var insert = new SqliteStatement(connection, "INSERT INTO t (b) VALUES (?1)");
        var array = new byte[] { 1, 2, 3, 4 };

        insert.Bind(1, array.AsSpan(0, 3));
        array.AsSpan().Fill(0xEE);

        Assert.Equal(1, insert.Run());
        Assert.Equal([1, 2, 3], connection.ExecuteScalar<byte[]>("SELECT b FROM t"));
    }

    [Fact]
    public void Empty_text_and_an_empty_blob_are_bound_as_empty_values_not_null()
    {
        using var connection = InMemory("CREATE TABLE t (s TEXT, b BLOB)");
        using var insert = new SqliteStatement(connection, "INSERT INTO t (s, b) VALUES (?1, ?2)");

        Assert.Equal(1, insert.Bind(1, "").Bind(2, ReadOnlySpan<byte>.Empty).Run());

        Assert.Equal(("text", 0L, "blob", 0L), connection.QuerySingle<(string, long, string, long)>(
            "SELECT typeof(s), length(s), typeof(b), length(b) FROM t"));
    }

    [Fact]
    public void Text_and_numbers_are_bound_by_position_and_a_run_says_how_many_rows_it_changed()
    {
        using var connection = InMemory("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER)");
        connection.Execute("INSERT INTO t VALUES ('a', 1), ('b', 1), ('é ünïcode ✓', 1)");
        using var update = new SqliteStatement(connection, "UPDATE t SET n = n + ?2 WHERE k = ?1 OR ?1 = '*'");

        Assert.Equal(1, update.Bind(1, "é ünïcode ✓").Bind(2, 41).Run());
        Assert.Equal(0, update.Bind(1, "missing").Bind(2, 1).Run());
        Assert.Equal(3, update.Bind(1, "*").Bind(2, long.MaxValue - 42).Run());

        Assert.Equal(long.MaxValue, connection.ExecuteScalar<long>("SELECT n FROM t WHERE k = 'é ünïcode ✓'"));
    }

    [Fact]
    public void A_failing_run_throws_SQLites_own_error_and_leaves_the_statement_usable()
    {
        using var connection = InMemory("CREATE TABLE t (k TEXT PRIMARY KEY)");
        using var insert = new SqliteStatement(connection, "INSERT INTO t (k) VALUES (?1)");
        insert.Bind(1, "a").Run();

        var error = Assert.Throws<SqliteException>(() => insert.Bind(1, "a").Run());

        Assert.Equal(19, error.SqliteErrorCode); // SQLITE_CONSTRAINT
        Assert.Equal(1, insert.Bind(1, "b").Run());
        Assert.Equal(2, connection.ExecuteScalar<long>("SELECT count(*) FROM t"));
    }

    [Fact]
    public void A_disposed_statement_refuses_to_bind_or_run()
    {
        using var connection = InMemory("CREATE TABLE t (k TEXT)");
        var insert = new SqliteStatement(connection, "INSERT INTO t (k) VALUES (?1)");
        insert.Dispose();

        Assert.Throws<ObjectDisposedException>(() => insert.Bind(1, "a"));
        Assert.Throws<ObjectDisposedException>(() => insert.Bind(1, 1L));
        Assert.Throws<ObjectDisposedException>(() => insert.Run());
        Assert.Throws<ObjectDisposedException>(() => insert.QueryOne(row => row.Text(0)));
    }

    private static SqliteConnection InMemory(string schema)
    {
        var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        connection.Execute(schema);
        return connection;
    }
}
