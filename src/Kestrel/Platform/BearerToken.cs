namespace Kestrel.Platform;

public static class BearerToken
{
    /// <summary>The credential of an <c>Authorization: Bearer ...</c> header (scheme in any case), or null.</summary>
    public static string? From(string header) => Span(header) is { IsEmpty: false } value ? value.ToString() : null;

    /// <summary>
    /// <see cref="From"/> as a part of the header, empty when there is none: every authenticated request reads its token,
    /// and needs no string of it to hash it or to see whether it looks like a token.
    /// </summary>
    public static ReadOnlySpan<char> Span(string header)
    {
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header.AsSpan(scheme.Length).Trim() : default;
    }
}
