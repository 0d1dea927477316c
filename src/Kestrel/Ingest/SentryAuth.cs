using System.Text;

namespace Kestrel.Ingest;

/// <summary>
/// Finds the public key a Sentry SDK authenticates with (reference §1.2): <c>X-Sentry-Auth: Sentry
/// sentry_key=…</c>, <c>Authorization: Sentry …</c>, <c>Authorization: Basic base64(key:…)</c>, the query's
/// <c>sentry_key</c>, or the envelope header's <c>dsn</c>. Several forms may come together when they
/// name the same key (proxies add headers); different keys are refused.
/// </summary>
public static class SentryAuth
{
    /// <summary>The key sent in headers or the query, or an error sentence for a malformed or contradictory one.</summary>
    public static (string? Key, string? Error) FromRequest(string? sentryAuthHeader, string? authorizationHeader, string? queryKey)
    {
        string? key = null;
        if (!string.IsNullOrWhiteSpace(sentryAuthHeader))
        {
            if (SentryHeaderKey(sentryAuthHeader) is not { } fromHeader)
                return (null, "X-Sentry-Auth must look like 'Sentry sentry_key=<public key>, sentry_version=7'.");
            key = fromHeader;
        }
        if (!string.IsNullOrWhiteSpace(authorizationHeader))
        {
            var fromAuthorization = AuthorizationKey(authorizationHeader.Trim(), out var error);
            if (error is not null) return (null, error);
            if (Conflicts(ref key, fromAuthorization)) return (null, Contradiction);
        }
        if (!string.IsNullOrWhiteSpace(queryKey) && Conflicts(ref key, queryKey.Trim())) return (null, Contradiction);
        return (key, null);
    }

    private const string Contradiction = "The request names more than one public key; send one.";

    /// <summary>Adds <paramref name="next"/> to what is known; true when it names a different key.</summary>
    public static bool Conflicts(ref string? key, string? next)
    {
        if (next is null) return false;
        if (key is not null && !string.Equals(key, next, StringComparison.OrdinalIgnoreCase)) return true;
        key = next;
        return false;
    }

    /// <summary>The <c>sentry_key</c> of a <c>Sentry k=v, k=v</c> value; null when it has none.</summary>
    public static string? SentryHeaderKey(string value)
    {
        var text = value.AsSpan().Trim();
        if (!text.StartsWith("Sentry ", StringComparison.OrdinalIgnoreCase)) return null;
        foreach (var pair in text[7..].ToString().Split(','))
        {
            var equals = pair.IndexOf('=');
            if (equals < 0) continue;
            if (pair.AsSpan(0, equals).Trim().Equals("sentry_key", StringComparison.OrdinalIgnoreCase))
                return pair[(equals + 1)..].Trim() is { Length: > 0 } key ? key : null;
        }
        return null;
    }

    /// <summary>The key of an <c>Authorization</c> header; none (and no error) for schemes that are not Sentry's.</summary>
    private static string? AuthorizationKey(string value, out string? error)
    {
        error = null;
        if (value.StartsWith("Sentry ", StringComparison.OrdinalIgnoreCase))
        {
            if (SentryHeaderKey(value) is { } key) return key;
            error = "Authorization must look like 'Sentry sentry_key=<public key>, sentry_version=7'.";
            return null;
        }
        if (value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(value[6..].Trim()));
                var colon = decoded.IndexOf(':');
                var key = (colon < 0 ? decoded : decoded[..colon]).Trim();
                if (key.Length > 0) return key;
            }
            catch (FormatException) { }
            error = "Authorization: Basic must carry base64 of '<public key>:'.";
            return null;
        }
        return null;
    }

    /// <summary>The public key and project id of a DSN <c>scheme://key[:secret]@host[:port][/path]/project</c>.</summary>
    public static (string Key, string ProjectId)? ParseDsn(string? dsn)
    {
        if (dsn is null || !Uri.TryCreate(dsn, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return null;
        var userInfo = Uri.UnescapeDataString(uri.UserInfo);
        var key = userInfo.Split(':')[0];
        var projectId = uri.AbsolutePath.TrimEnd('/').Split('/')[^1];
        return key.Length == 0 || projectId.Length == 0 ? null : (key, projectId);
    }
}
