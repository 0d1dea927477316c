using System.Security.Cryptography;
using System.Text;
using Dapper;
using Kestrel.Platform;

namespace Kestrel.Web;

/// <summary>A signed-in admin: the session's random id and the CSRF token every form of it must send back.</summary>
public sealed record AdminSession(string Id, string CsrfToken)
{
    /// <summary>Lets page handlers take the session as a parameter; the pages' filter has already refused requests without one.</summary>
    public static ValueTask<AdminSession?> BindAsync(HttpContext http) =>
        ValueTask.FromResult(http.RequestServices.GetRequiredService<AdminSessions>().Find(http));

    public Shell Shell(string? projectSlug = null, string? projectName = null) => new(CsrfToken, projectSlug, projectName);
}

/// <summary>
/// Admin sessions of the web UI. The cookie is <c>id.expires.mac</c>: a random id, its expiry (Unix
/// seconds) and an HMAC-SHA256 of both under a key derived from <c>.session_secret</c> (and
/// KESTREL_ADMIN_PASSWORD when set, so changing it signs everyone out). A forged or stale cookie is refused
/// before the database is asked; a valid one must also still have its row, which logging out and
/// <c>kestrel admin reset-password</c> delete. The stored password is not part of the key: a reset must not
/// leave the nodes that have not yet heard of it refusing the new sessions of those that have.
/// </summary>
public sealed class AdminSessions(Secrets secrets, Database database, DatabaseWriter writer, TimeProvider time)
{
    public const string CookieName = "kestrel_session";

    /// <summary>How long a session lasts from sign-in; there is no sliding renewal.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    // v2: v1 keys also took the stored password in; cookies signed under them are refused (one sign-in after upgrading).
    private readonly byte[] key = HMACSHA256.HashData(secrets.SessionKey, Encoding.UTF8.GetBytes("kestrel admin session v2\n" + secrets.ConfiguredPassword));

    /// <summary>Hashes of equal length compared in constant time: timing tells nothing about the password. None is empty.</summary>
    private static bool Matches(string presented, string password) => password.Length > 0 &&
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(password)));

    /// <summary>
    /// Signs in with <paramref name="password"/>, checked against the admin password as it is now (a reset through the
    /// CLI holds at once): first off the writer, so wrong guesses never queue behind ingest, then again in the transaction
    /// that stores the session, so a reset meanwhile cannot leave a session made with the old password.
    /// </summary>
    /// <returns>the cookie value of the new session and when it expires; null when the password is wrong</returns>
    public async Task<(string Cookie, DateTimeOffset Expires)?> StartAsync(string password, CancellationToken cancellationToken)
    {
        if (!Matches(password, secrets.ReadAdminPassword())) return null;
        var id = DataDirectory.RandomUrlSafe(32);
        var now = time.GetUtcNow();
        var expires = now + Lifetime;
        var nowMs = now.ToUnixTimeMilliseconds();
        var started = await writer.WriteAsync(session =>
        {
            if (!Matches(password, secrets.ReadAdminPassword(session))) return false;
            session.Connection.Execute("DELETE FROM admin_sessions WHERE expires_at <= @nowMs", new { nowMs }, session.Transaction);
            session.Connection.Execute("INSERT INTO admin_sessions (id_hash, created_at, expires_at) VALUES (@hash, @nowMs, @expiresMs)",
                new { hash = SHA256.HashData(Encoding.ASCII.GetBytes(id)), nowMs, expiresMs = expires.ToUnixTimeMilliseconds() }, session.Transaction);
            return true;
        }, cancellationToken);
        if (!started) return null;
        var signed = $"{id}.{expires.ToUnixTimeSeconds()}";
        return ($"{signed}.{Mac(signed)}", expires);
    }

    /// <summary>The session the request's cookie names, if it is genuine, unexpired and not logged out. Looked up once per request.</summary>
    public AdminSession? Find(HttpContext http)
    {
        if (http.Items.TryGetValue(typeof(AdminSession), out var known)) return known as AdminSession;
        var session = Verify(http.Request.Cookies[CookieName]);
        http.Items[typeof(AdminSession)] = session;
        return session;
    }

    private AdminSession? Verify(string? cookie)
    {
        if (cookie is not { Length: < 200 } || cookie.Split('.') is not [var id, var expiresText, var mac]) return null;
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(mac), Encoding.ASCII.GetBytes(Mac($"{id}.{expiresText}")))) return null;
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!long.TryParse(expiresText, out var expires) || expires * 1000 <= nowMs) return null;
        using var connection = database.Connect();
        var alive = connection.ExecuteScalar<long>("SELECT COUNT(*) FROM admin_sessions WHERE id_hash = @hash AND expires_at > @nowMs",
            new { hash = SHA256.HashData(Encoding.ASCII.GetBytes(id)), nowMs });
        return alive == 0 ? null : new AdminSession(id, Mac("csrf\n" + id));
    }

    public Task EndAsync(AdminSession session, CancellationToken cancellationToken) =>
        writer.WriteAsync(s => s.Connection.Execute("DELETE FROM admin_sessions WHERE id_hash = @hash",
            new { hash = SHA256.HashData(Encoding.ASCII.GetBytes(session.Id)) }, s.Transaction), cancellationToken);

    public static bool CsrfMatches(AdminSession session, string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented), Encoding.ASCII.GetBytes(session.CsrfToken));

    private string Mac(string text) =>
        Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
