using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Text;
using Kestrel.Platform;
using Microsoft.Data.Sqlite;
using SQLitePCL;

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
        ? Run(static (l, hash) => l.ByTokenHash(hash), hash)
        : recentByTokenHash.Find(Convert.ToBase64String(hash), (this, hash), static s => s.Item1.Run(static (l, hash) => l.ByTokenHash(hash), s.hash));

    public Project? ByPublicKey(string publicKey) => recentByPublicKey is null
        ? Run(static (l, key) => l.ByPublicKey(key), publicKey)
        : recentByPublicKey.Find(publicKey, (this, publicKey), static s => s.Item1.Run(static (l, key) => l.ByPublicKey(key), s.publicKey));

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
    private Project? Run<T>(Func<Lookup, T, Project?> find, T value)
    {
        for (var attempt = 1; ; attempt++)
        {
            var reused = idle.TryTake(out var lookup);
            lookup ??= Open();
            try
            {
                var project = find(lookup, value);
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
            return connection is SqliteConnection sqlite ? new SqliteLookup(sqlite) : new CommandLookup(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void Forget()
    {
        while (idle.TryTake(out var lookup)) lookup.Dispose();
    }

    public void Dispose() => Forget();

    /// <summary>One kept-open connection with both look-ups prepared on it.</summary>
    private abstract class Lookup : IDisposable
    {
        protected const string ByTokenHashSql = $"SELECT {Columns} FROM projects WHERE token_hash = ";
        protected const string ByPublicKeySql = $"SELECT {Columns} FROM projects WHERE public_key = ";

        public abstract Project? ByTokenHash(byte[] hash);
        public abstract Project? ByPublicKey(string publicKey);
        public abstract void Dispose();
    }

    /// <summary>
    /// SQLite: the statements run through SQLite's own API (<see cref="SqliteStatement"/>), where Microsoft.Data.Sqlite's
    /// command bound the parameter by name and made a data reader on every request.
    /// </summary>
    private sealed class SqliteLookup : Lookup
    {
        private readonly SqliteConnection connection;
        private readonly SqliteStatement byTokenHash, byPublicKey;

        public SqliteLookup(SqliteConnection connection)
        {
            this.connection = connection;
            read = Read;
            // SQLite's own wait for a lock, as long as Microsoft.Data.Sqlite's commands retry, since these statements do not
            // go through those retries (a reader meets a lock only while the log is recovered after a crash). Undone in
            // Dispose: the connection goes back to the pool that the writer's connections come from.
            raw.sqlite3_busy_timeout(connection.Handle, connection.DefaultTimeout * 1000);
            try
            {
                byTokenHash = new SqliteStatement(connection, ByTokenHashSql + "?1");
                byPublicKey = new SqliteStatement(connection, ByPublicKeySql + "?1");
            }
            catch
            {
                byTokenHash?.Dispose();
                raw.sqlite3_busy_timeout(connection.Handle, 0);
                throw;
            }
        }

        /// <summary>The project this connection's last look-up found, with its text columns as SQLite stored them.</summary>
        private (Project Project, byte[] Slug, byte[] Name, byte[] PublicKey)? last;

        private readonly Func<SqliteStatement, Project> read;

        public override Project? ByTokenHash(byte[] hash) => byTokenHash.Bind(1, hash).QueryOne(read);

        public override Project? ByPublicKey(string publicKey) => byPublicKey.Bind(1, publicKey).QueryOne(read);

        /// <summary>
        /// The row as a project; the very object found last time when the row is byte for byte the same, since nearly every
        /// request is from a project that sent just before (its three strings and the project were 1.5 % of an event's
        /// allocation). The row is still read from the database every time, so a rotated token finds no row and a renamed
        /// project is made anew: nothing is cached but the object. A project is immutable, so returning it again is safe.
        /// </summary>
        private Project Read(SqliteStatement row)
        {
            if (last is var (known, slug, name, publicKey) && row.Int64(0) == known.Id && row.Int64(4) == known.CreatedAt
                && row.Utf8(1).SequenceEqual(slug) && row.Utf8(2).SequenceEqual(name) && row.Utf8(3).SequenceEqual(publicKey))
                return known;
            var project = new Project(row.Int64(0), row.Text(1), row.Text(2), row.Text(3), row.Int64(4));
            last = (project, Encoding.UTF8.GetBytes(project.Slug), Encoding.UTF8.GetBytes(project.Name), Encoding.UTF8.GetBytes(project.PublicKey));
            return project;
        }

        public override void Dispose()
        {
            byTokenHash.Dispose();
            byPublicKey.Dispose();
            raw.sqlite3_busy_timeout(connection.Handle, 0);
            connection.Dispose();
        }
    }

    /// <summary>PostgreSQL: prepared commands with a positional parameter, so Npgsql does not rewrite the SQL either.</summary>
    private sealed class CommandLookup(DbConnection connection) : Lookup
    {
        private readonly DbCommand byTokenHash = Prepare(connection, ByTokenHashSql + "$1", DbType.Binary);
        private readonly DbCommand byPublicKey = Prepare(connection, ByPublicKeySql + "$1", DbType.String);

        public override Project? ByTokenHash(byte[] hash) => Run(byTokenHash, hash);

        public override Project? ByPublicKey(string publicKey) => Run(byPublicKey, publicKey);

        private static Project? Run(DbCommand command, object value)
        {
            command.Parameters[0].Value = value;
            using var reader = command.ExecuteReader(CommandBehavior.SingleResult);
            return reader.Read() ? new Project(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4)) : null;
        }

        private static DbCommand Prepare(DbConnection connection, string sql, DbType type)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            var parameter = command.CreateParameter();
            parameter.DbType = type;
            command.Parameters.Add(parameter);
            command.Prepare();
            return command;
        }

        public override void Dispose()
        {
            byTokenHash.Dispose();
            byPublicKey.Dispose();
            connection.Dispose();
        }
    }
}
