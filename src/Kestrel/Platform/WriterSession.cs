using Microsoft.Data.Sqlite;

namespace Kestrel.Platform;

/// <summary>
/// State a store keeps on the writer between jobs (say, a cache of row ids). The writer calls
/// <see cref="Forget"/> after any rollback, since what it remembers may name rows that no longer exist.
/// </summary>
public interface IWriterMemo
{
    void Forget();
}

/// <summary>
/// The writer's connection inside its current transaction. Stores ask it for commands by SQL text;
/// each is prepared once and reused for the life of the server, which matters on the ingest path.
/// Only the writer thread ever touches a session, so nothing here needs locking.
/// </summary>
public sealed class WriterSession(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> commands = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, IWriterMemo> memos = [];
    private SqliteTransaction? transaction;

    public SqliteConnection Connection => connection;
    public SqliteTransaction Transaction => transaction ?? throw new InvalidOperationException("No write transaction is open.");

    /// <summary>A prepared command for <paramref name="sql"/> with parameters named <paramref name="parameters"/>, in that order.</summary>
    public SqliteCommand Command(string sql, params string[] parameters)
    {
        if (!commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters) command.Parameters.Add(new SqliteParameter(name, null));
            commands[sql] = command;
        }
        command.Transaction = transaction;
        return command;
    }

    /// <summary>The writer-lifetime instance of <typeparamref name="T"/>, made on first use.</summary>
    public T Memo<T>() where T : class, IWriterMemo, new()
    {
        if (!memos.TryGetValue(typeof(T), out var memo)) memos[typeof(T)] = memo = new T();
        return (T)memo;
    }

    internal void Begin() => transaction = connection.BeginTransaction(deferred: false);

    internal void Commit()
    {
        transaction!.Commit();
        transaction.Dispose();
        transaction = null;
    }

    internal void Rollback()
    {
        try { transaction?.Rollback(); } catch (SqliteException) { /* already rolled back by SQLite */ }
        transaction?.Dispose();
        transaction = null;
        foreach (var memo in memos.Values) memo.Forget();
    }

    public void Dispose()
    {
        foreach (var command in commands.Values) command.Dispose();
        transaction?.Dispose();
    }
}
