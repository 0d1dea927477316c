using System.Text.RegularExpressions;

namespace Kestrel.SourceMaps;

/// <summary>
/// Names the function a position is in by reading the original source upwards from it, for frames that
/// caller naming cannot name (the outermost frame, or one called from code without a map). A light
/// stand-in for Sentry's scope parse: it matches declarations (<c>function name(</c>, <c>name = function</c>,
/// <c>name = (...) =&gt;</c>, <c>name(...) {</c> methods) and ignores braces, so it names the nearest
/// declaration above, which is the enclosing function in ordinary code.
/// </summary>
public static partial class ScopeNames
{
    private const int MaxLinesUp = 200;
    private static readonly HashSet<string> Keywords = ["if", "for", "while", "switch", "catch", "with", "return", "function", "typeof", "await", "new"];

    public static string? Find(string[] lines, int line, int column)
    {
        for (var l = Math.Min(line, lines.Length - 1); l >= 0 && l > line - MaxLinesUp; l--)
        {
            var text = l == line && column < lines[l].Length ? lines[l][..column] : lines[l];
            if (text.Length > 1000 || !MayDeclare(text)) continue; // a minified line in the original tells nothing
            string? found = null;
            foreach (Match m in Declaration().Matches(text))
            {
                var name = m.Groups["name"].Value;
                if (!Keywords.Contains(name)) found = name;
            }
            if (found is not null) return found;
        }
        return null;
    }

    /// <summary>A cheap test first: most lines declare nothing, and the regex costs far more than three searches.</summary>
    private static bool MayDeclare(string line) =>
        line.Contains("function", StringComparison.Ordinal) || line.Contains("=>", StringComparison.Ordinal)
        || (line.Contains('(') && line.AsSpan().TrimEnd().EndsWith("{", StringComparison.Ordinal));

    [GeneratedRegex(@"(?:\bfunction\s*\*?\s*(?<name>[A-Za-z_$][\w$]*)\s*\()|(?:(?<name>[A-Za-z_$][\w$]*)\s*[:=]\s*(?:async\s+)?function\b)|(?:(?<name>[A-Za-z_$][\w$]*)\s*[:=]\s*(?:async\s*)?(?:\([^()]*\)|[A-Za-z_$][\w$]*)\s*=>)|(?:^\s*(?:static\s+)?(?:async\s+)?(?<name>[A-Za-z_$][\w$]*)\s*\([^()]*\)\s*\{)")]
    private static partial Regex Declaration();
}
