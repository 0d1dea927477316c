namespace Kestrel.Platform;

/// <summary>
/// A statement (or anything else) written once per engine where SQLite's and PostgreSQL's dialects differ, kept side by
/// side in the store that runs it; <see cref="For"/> picks the writer's.
/// </summary>
public sealed record Dialect<T>(T Sqlite, T Postgres)
{
    public T For(WriterSession session) => session.Engine == DatabaseEngine.Postgres ? Postgres : Sqlite;
}

/// <summary>SQL that differs between the engines by a word, for stores that build a statement for the connection at hand.</summary>
public static class Sql
{
    /// <summary>
    /// "IN @list" for an array parameter. Dapper expands a list into one parameter per item on SQLite, but hands Npgsql
    /// the whole array as one parameter, which PostgreSQL compares with <c>= ANY</c> (its IN takes a list, not an array).
    /// </summary>
    public static string InList(System.Data.Common.DbConnection connection, string parameter) =>
        connection is Npgsql.NpgsqlConnection ? $"= ANY({parameter})" : $"IN {parameter}";
}
