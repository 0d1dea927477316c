using System.Text.RegularExpressions;

namespace Kestrel.Grouping;

/// <summary>
/// Normalises a frame's file and function for grouping: two deployments of the same code must give the
/// same fingerprint even when the CDN host, cache-busting query or build hash in a file name changes.
/// </summary>
public static partial class FrameNormaliser
{
    /// <summary>"https://cdn.example/static/js/app.3f9a2c1b.js?v=3#x" becomes "/static/js/app.&lt;hash&gt;.js".</summary>
    public static string File(string? filename)
    {
        if (string.IsNullOrEmpty(filename)) return "";
        var file = filename.Replace('\\', '/');
        var cut = file.AsSpan().IndexOfAny('?', '#');
        if (cut >= 0) file = file[..cut];
        var scheme = file.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0)
        {
            var pathStart = file.IndexOf('/', scheme + 3);
            file = pathStart < 0 ? "" : file[pathStart..];
        }
        return HashLike().Replace(file, "<hash>");
    }

    /// <summary>A file for people to read: the URL or path without its query string or fragment.</summary>
    public static string Readable(string file)
    {
        var cut = file.AsSpan().IndexOfAny('?', '#');
        return cut >= 0 ? file[..cut] : file;
    }

    /// <summary>Drops addresses and the ordinals compilers put in generated names (lambdas, closures).</summary>
    public static string Function(string? function)
    {
        if (string.IsNullOrEmpty(function)) return "";
        var name = HexAddress().Replace(function.Trim(), "<hex>");
        return name.Contains("__", StringComparison.Ordinal) ? GeneratedOrdinal().Replace(name, "n") : name;
    }

    // A hex run of 7+ with a digit, or a 20+ character alphanumeric token with letters and digits.
    [GeneratedRegex(@"(?<![A-Za-z0-9])(?:(?=[0-9a-fA-F]*[0-9])[0-9a-fA-F]{7,}|(?=[A-Za-z0-9]*[0-9])(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{20,})(?![A-Za-z0-9])")]
    private static partial Regex HashLike();

    [GeneratedRegex(@"0x[0-9a-fA-F]+")]
    private static partial Regex HexAddress();

    [GeneratedRegex(@"\d+")]
    private static partial Regex GeneratedOrdinal();
}
