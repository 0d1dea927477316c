using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Kestrel.Platform;

/// <summary>
/// The admin password and the session-signing key. On SQLite they are files in the data directory; on PostgreSQL they are
/// rows of the secrets table, so every node signs sessions with one key and accepts one password, and only the node that
/// wrote the password first shows it in its log. The key is settled at start; the stored password is read again at every
/// sign-in (<see cref="ReadAdminPassword()"/>), so <c>kestrel admin reset-password</c> holds on every running
/// server at once. KESTREL_ADMIN_PASSWORD, when set, is the password for the life of the process.
/// </summary>
public sealed class Secrets
{
    private const string AdminPasswordName = "admin_password";
    private const string SessionSecretName = "session_secret";

    /// <summary>KESTREL_ADMIN_PASSWORD (or admin_password in kestrel.toml): when set, it is the password and nothing stored is read.</summary>
    public string? ConfiguredPassword { get; init; }
    public required byte[] SessionKey { get; init; }

    private Database? database; // null when the password is configured: nothing stored is read
    private string passwordPath = "";
    /// <summary>The stored password as last read: what a sign-in compares with if the store cannot be read (a deleted file).</summary>
    private volatile string lastStoredPassword = "";

    public static Secrets Load(KestrelOptions options, Database database, DataDirectory data, ILogger logger)
    {
        var shared = database.Engine == DatabaseEngine.Postgres;
        var where = shared ? "the database's secrets table" : data.AdminPasswordPath;
        var stored = "";
        if (options.AdminPassword is not null)
            logger.LogInformation("Admin password: taken from KESTREL_ADMIN_PASSWORD (or admin_password in kestrel.toml).");
        else
        {
            Func<string> generate = () => DataDirectory.RandomUrlSafe(18);
            (stored, var generated) = shared ? ReadOrCreateShared(database, AdminPasswordName, generate) : DataDirectory.ReadOrCreateSecret(data.AdminPasswordPath, generate);
            if (generated)
                logger.LogWarning("Admin password generated: {Password} (stored in {Path}; shown only this once)", stored, where);
            else
                logger.LogInformation("Admin password: read from {Path}.", where);
        }
        Func<string> newKey = () => DataDirectory.RandomUrlSafe(32);
        var (session, _) = shared ? ReadOrCreateShared(database, SessionSecretName, newKey) : DataDirectory.ReadOrCreateSecret(data.SessionSecretPath, newKey);
        return new Secrets
        {
            ConfiguredPassword = options.AdminPassword,
            SessionKey = System.Text.Encoding.UTF8.GetBytes(session),
            database = database,
            passwordPath = data.AdminPasswordPath,
            lastStoredPassword = stored,
        };
    }

    /// <summary>The admin password now: a sign-in's first check, off the writer (a file read on SQLite, one primary-key read on PostgreSQL).</summary>
    public string ReadAdminPassword()
    {
        if (ConfiguredPassword is not null) return ConfiguredPassword;
        var database = this.database ?? throw new InvalidOperationException("Secrets without a configured password come from Load.");
        if (database.Engine == DatabaseEngine.Sqlite) return ReadStored(null);
        using var connection = database.Connect();
        return ReadStored(connection);
    }

    /// <summary>
    /// The admin password now, read inside the writer's transaction that will store the new session. A reset either
    /// happened before (the new password is read) or waits for this transaction and then deletes the session it made:
    /// on PostgreSQL the row is read FOR SHARE, which the reset's update waits for; on SQLite the writer holds the write
    /// lock while it reads the file, and the reset deletes the sessions only after it replaced the file.
    /// </summary>
    public string ReadAdminPassword(WriterSession session) =>
        ConfiguredPassword ?? (session.Engine == DatabaseEngine.Sqlite ? ReadStored(null) : ReadStored(session.Connection, session.Transaction));

    private string ReadStored(DbConnection? connection, DbTransaction? transaction = null)
    {
        string? value;
        if (connection is null)
        {
            try { value = File.ReadAllText(passwordPath).Trim(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { value = null; }
        }
        else
            value = connection.ExecuteScalar<string?>("SELECT value FROM secrets WHERE name = @name" + (transaction is null ? "" : " FOR SHARE"),
                new { name = AdminPasswordName }, transaction);
        if (string.IsNullOrEmpty(value)) return lastStoredPassword; // deleted by hand: a new one comes at the next start
        return lastStoredPassword = value;
    }

    /// <summary>
    /// Replaces the stored admin password with a new one (<c>kestrel admin reset-password</c>) and deletes every admin
    /// session, in that order: a failure in between leaves the new password in place and the sessions to expire, and a
    /// sign-in that read the old password meanwhile has its session deleted too (<see cref="ReadAdminPassword(WriterSession)"/>).
    /// SQLite: the file is replaced by a rename, so a server reading it meanwhile reads the old or the new one, never half.
    /// </summary>
    public static string ResetAdminPassword(KestrelOptions options, Database database, DataDirectory data)
    {
        var password = DataDirectory.RandomUrlSafe(18);
        using var connection = database.Connect();
        if (database.Engine == DatabaseEngine.Postgres)
            connection.Execute("""
                INSERT INTO secrets (name, value, created_at) VALUES (@name, @password, @now)
                ON CONFLICT (name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at
                """, new { name = AdminPasswordName, password, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
        else
            DataDirectory.ReplaceSecret(data.AdminPasswordPath, password);
        connection.Execute("DELETE FROM admin_sessions");
        return password;
    }

    /// <summary>
    /// The secret named <paramref name="name"/>, written now when no node has written it yet. Nodes starting together
    /// race on the primary key: one insert wins, the others wait for its commit, do nothing, and read its value.
    /// </summary>
    private static (string Value, bool Generated) ReadOrCreateShared(Database database, string name, Func<string> generate)
    {
        using var connection = database.Connect();
        var written = connection.ExecuteScalar<string?>(
            "INSERT INTO secrets (name, value, created_at) VALUES (@name, @value, @now) ON CONFLICT (name) DO NOTHING RETURNING value",
            new { name, value = generate(), now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
        return written is not null
            ? (written, true)
            : (connection.ExecuteScalar<string>("SELECT value FROM secrets WHERE name = @name", new { name })!, false);
    }
}
