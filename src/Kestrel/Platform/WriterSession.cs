using Microsoft.Data.Sqlite;

namespace Kestrel.Platform;

/// <summary>
/// The writer's connection inside its current transaction. Stores ask it for commands by SQL text;
/// each is prepared once and reused for the life of the server, which matters on the ingest path.
/// </summary>
public sealed class WriterSession(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> commands = new(StringComparer.Ordinal);
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

    internal void Begin() => transaction = connection.BeginTransaction(deferred: false);
    internal void Savepoint() => Command("SAVEPOINT job").ExecuteNonQuery();
    internal void ReleaseSavepoint() => Command("RELEASE job").ExecuteNonQuery();
    internal void RollbackToSavepoint() { Command("ROLLBACK TO job").ExecuteNonQuery(); ReleaseSavepoint(); }

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
    }

    public void Dispose()
    {
        foreach (var command in commands.Values) command.Dispose();
        transaction?.Dispose();
    }
}
