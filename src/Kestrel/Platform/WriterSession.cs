using System.Data.Common;

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
/// Writes a store gathers over all the jobs of one transaction and makes once, just before the commit
/// (say, one count update per issue however many requests stored events in it). The writer also makes
/// them before running any job that did not ask to defer (<see cref="DatabaseWriter.TryWriteAsync{T}"/>),
/// so such a job sees every earlier job's effect in full.
/// </summary>
public interface IPendingWrites
{
    void Write(WriterSession session);

    /// <summary>Forgets what was gathered: after <see cref="Write"/>, or when the transaction rolls back.</summary>
    void Clear();
}

/// <summary>
/// The writer's connection inside its current transaction. Stores ask it for commands by SQL text;
/// each is prepared once and reused for the life of the server, which matters on the ingest path.
/// Only the writer thread ever touches a session, so nothing here needs locking. The connection is
/// either engine's; stores write their SQL with @name parameters, which both SQLite and Npgsql bind, and pick a
/// statement by <see cref="Engine"/> where the dialects differ. The session owns its connection: after a failure of the
/// database the writer throws the session away and opens a new one.
/// </summary>
public sealed class WriterSession(DbConnection connection) : IDisposable
{
    private readonly Dictionary<string, DbCommand> commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SqliteStatement> statements = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, IWriterMemo> memos = [];
    private readonly Dictionary<Type, IPendingWrites> pendingByType = [];
    private readonly List<IPendingWrites> pending = []; // in the order first used in this transaction
    private DbTransaction? transaction;

    public DbConnection Connection => connection;

    /// <summary>Which dialect the connection speaks.</summary>
    public DatabaseEngine Engine { get; } = connection is Microsoft.Data.Sqlite.SqliteConnection ? DatabaseEngine.Sqlite : DatabaseEngine.Postgres;
    public DbTransaction Transaction => transaction ?? throw new InvalidOperationException("No write transaction is open.");

    /// <summary>A prepared command for <paramref name="sql"/> with parameters named <paramref name="parameters"/>, in that order.</summary>
    public DbCommand Command(string sql, params string[] parameters)
    {
        if (!commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = DBNull.Value;
                command.Parameters.Add(parameter);
            }
            commands[sql] = command;
        }
        command.Transaction = transaction;
        return command;
    }

    /// <summary>
    /// SQLite: <paramref name="sql"/> prepared once and bound by position, for the statements the writer runs once per
    /// event or per tag row (<see cref="SqliteStatement"/> says why). Ask for it once per loop, not once per row.
    /// </summary>
    public SqliteStatement Statement(string sql)
    {
        if (!statements.TryGetValue(sql, out var statement))
            statements[sql] = statement = new SqliteStatement((Microsoft.Data.Sqlite.SqliteConnection)connection, sql);
        return statement;
    }

    /// <summary>
    /// PostgreSQL: a batch in the current transaction. Its statements reach the server in one round trip and run in order;
    /// the writer waits on round trips there, not on its CPU.
    /// </summary>
    public DbBatch Batch()
    {
        var batch = connection.CreateBatch();
        batch.Transaction = Transaction;
        return batch;
    }

    /// <summary>The writer-lifetime instance of <typeparamref name="T"/>, made on first use.</summary>
    public T Memo<T>() where T : class, IWriterMemo, new()
    {
        if (!memos.TryGetValue(typeof(T), out var memo)) memos[typeof(T)] = memo = new T();
        return (T)memo;
    }

    /// <summary>
    /// The instance of <typeparamref name="T"/> that gathers this transaction's writes; they are made at
    /// the commit. The instance is reused by later transactions (after <see cref="IPendingWrites.Clear"/>).
    /// </summary>
    public T Pending<T>() where T : class, IPendingWrites, new()
    {
        if (!pendingByType.TryGetValue(typeof(T), out var writes)) pendingByType[typeof(T)] = writes = new T();
        if (!pending.Contains(writes)) pending.Add(writes);
        return (T)writes;
    }

    /// <summary>Makes every pending write now, in the transaction, in the order they were first asked for.</summary>
    internal void WritePending()
    {
        // By index: a pending write may ask for another (which then goes last and is written too).
        for (var i = 0; i < pending.Count; i++) pending[i].Write(this);
        ClearPending();
    }

    private void ClearPending()
    {
        foreach (var writes in pending) writes.Clear();
        pending.Clear();
    }

    internal void Begin() => transaction = Database.BeginWrite(connection);

    internal void Commit()
    {
        WritePending();
        transaction!.Commit();
        transaction.Dispose();
        transaction = null;
    }

    internal void Rollback()
    {
        // Already rolled back by the database, or the connection is gone (then so is the transaction).
        try { transaction?.Rollback(); } catch (Exception e) when (e is DbException or InvalidOperationException) { }
        try { transaction?.Dispose(); } catch (Exception e) when (e is DbException or InvalidOperationException) { }
        transaction = null;
        ClearPending();
        foreach (var memo in memos.Values) memo.Forget();
    }

    public void Dispose()
    {
        foreach (var command in commands.Values) command.Dispose();
        foreach (var statement in statements.Values) statement.Dispose(); // prepared statements go before their connection
        try { transaction?.Dispose(); } catch (Exception e) when (e is DbException or InvalidOperationException) { }
        connection.Dispose();
    }
}
