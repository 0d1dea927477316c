using Dapper;
using Microsoft.Extensions.Logging;

namespace Kestrel.Platform;

/// <summary>
/// The admin password and the session-signing key, settled once at server start. On SQLite they are files in the data
/// directory; on PostgreSQL they are rows of the secrets table, so every node signs sessions with one key and accepts one
/// password, and only the node that wrote the password first shows it in its log.
/// </summary>
public sealed class Secrets
{
    private const string AdminPasswordName = "admin_password";
    private const string SessionSecretName = "session_secret";

    public required string AdminPassword { get; init; }
    public required byte[] SessionKey { get; init; }

    public static Secrets Load(KestrelOptions options, Database database, DataDirectory data, ILogger logger)
    {
        var shared = database.Engine == DatabaseEngine.Postgres;
        var where = shared ? "the database's secrets table" : data.AdminPasswordPath;
        string password;
        if (options.AdminPassword is not null)
        {
            password = options.AdminPassword;
            logger.LogInformation("Admin password: taken from KESTREL_ADMIN_PASSWORD (or admin_password in kestrel.toml).");
        }
        else
        {
            Func<string> generate = () => DataDirectory.RandomUrlSafe(18);
            (password, var generated) = shared ? ReadOrCreateShared(database, AdminPasswordName, generate) : DataDirectory.ReadOrCreateSecret(data.AdminPasswordPath, generate);
            if (generated)
                logger.LogWarning("Admin password generated: {Password} (stored in {Path}; shown only this once)", password, where);
            else
                logger.LogInformation("Admin password: read from {Path}.", where);
        }
        Func<string> newKey = () => DataDirectory.RandomUrlSafe(32);
        var (session, _) = shared ? ReadOrCreateShared(database, SessionSecretName, newKey) : DataDirectory.ReadOrCreateSecret(data.SessionSecretPath, newKey);
        return new Secrets { AdminPassword = password, SessionKey = System.Text.Encoding.UTF8.GetBytes(session) };
    }

    /// <summary>
    /// Replaces the stored admin password with a new one (<c>kestrel admin reset-password</c>) and deletes every admin
    /// session, in that order: a failure in between leaves the new password in place and the sessions to expire.
    /// SQLite: the file is replaced by a rename, so a server starting meanwhile reads the old or the new one, never half.
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
