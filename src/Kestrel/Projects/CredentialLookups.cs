using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using Kestrel.Platform;

namespace Kestrel.Projects;

/// <summary>
/// The look-ups every authenticated request makes (a project by its token's hash, or by its public key), run on a few
/// connections kept open with both statements prepared. On SQLite nothing about projects is cached: every look-up reads
/// the database, so a token rotated through the CLI is refused on the very next request. On PostgreSQL a project found
/// is kept for a second (<see cref="RecentCredentials"/> says why and how a change still reaches every node in time).
/// What the kept-open connections save is the way there: taking a connection from the pool and setting it up, and
/// preparing the SQL each time (on PostgreSQL a parse and plan by the server, and a reset of the pooled connection when
/// it went back). On PostgreSQL the parameter is positional, so Npgsql does not rewrite the SQL either.
/// </summary>
internal sealed class CredentialLookups(Database database) : IDisposable
{
    /// <summary>Look-ups run synchronously on request threads, about one per core at a time; more idle connections would only be held.</summary>
    private static readonly int MaxIdle = Math.Clamp(Environment.ProcessorCount * 2, 4, 16);

    private const string Columns = "id, slug, name, public_key, created_at";
    private readonly ConcurrentBag<Lookup> idle = [];

    private readonly RecentCredentials? recentByTokenHash = database.Engine == DatabaseEngine.Postgres ? new() : null;
    private readonly RecentCredentials? recentByPublicKey = database.Engine == DatabaseEngine.Postgres ? new() : null;

    public Project? ByTokenHash(byte[] hash) => recentByTokenHash is null
        ? Run(static l => l.ByTokenHash, hash)
        : recentByTokenHash.Find(Convert.ToBase64String(hash), (this, hash), static s => s.Item1.Run(static l => l.ByTokenHash, s.hash));

    public Project? ByPublicKey(string publicKey) => recentByPublicKey is null
        ? Run(static l => l.ByPublicKey, publicKey)
        : recentByPublicKey.Find(publicKey, (this, publicKey), static s => s.Item1.Run(static l => l.ByPublicKey, s.publicKey));

    /// <summary>Forgets the projects kept (PostgreSQL): a project changed here or on another node.</summary>
    public void ForgetRecent()
    {
        recentByTokenHash?.Clear();
        recentByPublicKey?.Clear();
    }

    /// <summary>
    /// Synchronous on purpose: an asynchronous look-up on PostgreSQL (the request thread free while the database
    /// answers) measured slower, 822 against 738 µs per event on the request threads, with a higher p99
    /// (docs/performance.md, "Request-side cost").
    /// </summary>
    private Project? Run(Func<Lookup, DbCommand> statement, object value)
    {
        for (var attempt = 1; ; attempt++)
        {
            var reused = idle.TryTake(out var lookup);
            lookup ??= Open();
            try
            {
                var command = statement(lookup);
                command.Parameters[0].Value = value;
                Project? project;
                using (var reader = command.ExecuteReader(CommandBehavior.SingleResult))
                    project = reader.Read() ? new Project(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4)) : null;
                if (idle.Count < MaxIdle) idle.Add(lookup);
                else lookup.Dispose();
                return project;
            }
            catch (DbException e) when (reused && attempt == 1)
            {
                // A connection kept from before may have died with the database (a restart, an idle timeout); the others,
                // and the pool's idle ones, likely did too. Drop them and look up again on a new connection, which fails
                // for real if the database is away.
                lookup.Dispose();
                Forget();
                if (DatabaseFailures.IsDatabaseWide(e)) database.ForgetPooledConnections();
            }
            catch
            {
                lookup.Dispose();
                throw;
            }
        }
    }

    private Lookup Open()
    {
        var connection = database.Connect();
        try
        {
            var postgres = database.Engine == DatabaseEngine.Postgres;
            return new Lookup(connection,
                Prepare(connection, $"SELECT {Columns} FROM projects WHERE token_hash = {(postgres ? "$1" : "@hash")}", "hash", DbType.Binary, postgres),
                Prepare(connection, $"SELECT {Columns} FROM projects WHERE public_key = {(postgres ? "$1" : "@key")}", "key", DbType.String, postgres));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static DbCommand Prepare(DbConnection connection, string sql, string name, DbType type, bool positional)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        var parameter = command.CreateParameter();
        if (!positional) parameter.ParameterName = name;
        parameter.DbType = type;
        command.Parameters.Add(parameter);
        command.Prepare();
        return command;
    }

    private void Forget()
    {
        while (idle.TryTake(out var lookup)) lookup.Dispose();
    }

    public void Dispose() => Forget();

    private sealed record Lookup(DbConnection Connection, DbCommand ByTokenHash, DbCommand ByPublicKey) : IDisposable
    {
        public void Dispose()
        {
            ByTokenHash.Dispose();
            ByPublicKey.Dispose();
            Connection.Dispose();
        }
    }
}
