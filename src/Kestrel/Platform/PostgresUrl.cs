using Npgsql;

namespace Kestrel.Platform;

/// <summary>
/// <c>KESTREL_DATABASE_URL</c>: <c>postgres://user:password@host:port/database?sslmode=require</c> (or <c>postgresql://</c>),
/// the form managed PostgreSQL services hand out. User, password and database are percent-decoded; the port defaults to 5432.
/// Error messages never repeat the URL: it usually holds a password.
/// </summary>
public static class PostgresUrl
{
    private const string Shape = "postgres://user:password@host:5432/database";

    private static readonly Dictionary<string, SslMode> SslModes = new(StringComparer.Ordinal)
    {
        ["disable"] = SslMode.Disable,
        ["allow"] = SslMode.Allow,
        ["prefer"] = SslMode.Prefer,
        ["require"] = SslMode.Require,
        ["verify-ca"] = SslMode.VerifyCA,
        ["verify-full"] = SslMode.VerifyFull,
    };

    /// <summary>Checks <paramref name="value"/> and returns it unchanged; <paramref name="name"/> is the setting's name for the message.</summary>
    public static string Validate(string value, string name)
    {
        ToConnectionString(value, name);
        return value;
    }

    /// <summary>The Npgsql connection string for a URL, or a <see cref="ConfigurationException"/> saying what is wrong with it.</summary>
    public static string ToConnectionString(string value, string name = "KESTREL_DATABASE_URL")
    {
        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        void Wrong(string what) => throw new ConfigurationException($"Setting {name} must look like {Shape}: {what}.");

        var trimmed = value.Trim();
        if (!trimmed.StartsWith("postgres://", StringComparison.Ordinal) && !trimmed.StartsWith("postgresql://", StringComparison.Ordinal))
            Wrong("it must start with postgres:// or postgresql://");
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            Wrong("it is not a valid URL with a host");
        if (uri.Fragment.Length > 0) Wrong("it must not have a #fragment");

        var userInfo = uri.UserInfo;
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        var user = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
        var password = colon < 0 ? null : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        if (user.Length == 0) Wrong("it has no user name before the @");

        var path = uri.AbsolutePath.Trim('/');
        if (path.Length == 0 || path.Contains('/', StringComparison.Ordinal)) Wrong("it must name one database after the host, as in /kestrel");

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Username = user,
            Password = password,
            Database = Uri.UnescapeDataString(path),
            ApplicationName = "kestrel",
            SslMode = SslMode.Prefer,
        };
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var text = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            if (key != "sslmode") Wrong($"'{key}' is not a parameter Kestrel knows (only sslmode is)");
            if (!SslModes.TryGetValue(text, out var mode)) Wrong($"sslmode must be one of {string.Join(", ", SslModes.Keys)}, not '{text}'");
            builder.SslMode = mode;
        }
        return builder.ConnectionString;
    }

    /// <summary>"database kestrel on db.internal:5432", for messages: no user, no password.</summary>
    public static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"PostgreSQL database {builder.Database} on {builder.Host}:{builder.Port}";
    }
}
