namespace Kestrel.Search;

/// <summary>Writes search terms, for links that filter the issue list (the inverse of <see cref="SearchParser"/>).</summary>
public static class SearchTerms
{
    /// <summary><c>key:"value"</c> with quotes and backslashes escaped, so any value reads back as itself.</summary>
    public static string Tag(string key, string value) =>
        key + ":\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
