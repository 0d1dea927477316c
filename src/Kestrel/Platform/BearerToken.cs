namespace Kestrel.Platform;

public static class BearerToken
{
    /// <summary>The credential of an <c>Authorization: Bearer ...</c> header (scheme in any case), or null.</summary>
    public static string? From(string header)
    {
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return null;
        var value = header[scheme.Length..].Trim();
        return value.Length == 0 ? null : value;
    }
}
