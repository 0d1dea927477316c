namespace Kestrel.Platform;

/// <summary>
/// A statement (or anything else) written once per engine where SQLite's and PostgreSQL's dialects differ, kept side by
/// side in the store that runs it; <see cref="For"/> picks the writer's.
/// </summary>
public sealed record Dialect<T>(T Sqlite, T Postgres)
{
    public T For(WriterSession session) => session.Engine == DatabaseEngine.Postgres ? Postgres : Sqlite;
}
