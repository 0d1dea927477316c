using System.Text.RegularExpressions;

namespace Kestrel.Grouping;

/// <summary>
/// Replaces the parts of a message that vary between occurrences of the same error (ids, numbers,
/// addresses, quoted values) with placeholders, so "user 41 not found" and "user 42 not found" group together.
/// Order matters: compound shapes (UUIDs, e-mails, URLs, IPs) go before the numbers inside them.
/// </summary>
public static partial class TextNormaliser
{
    /// <summary>Longest text normalised; more is cut first so a hostile value costs bounded time.</summary>
    public const int MaxInput = 1024;

    public static string Normalise(string text)
    {
        if (text.Length > MaxInput) text = text[..MaxInput];
        text = Uuid().Replace(text, "<uuid>");
        text = Email().Replace(text, "<email>");
        text = Url().Replace(text, m => m.Groups["base"].Value + (m.Groups["query"].Success ? "?<query>" : ""));
        text = IpV4().Replace(text, "<ip>");
        text = IpV6().Replace(text, "<ip>");
        text = SingleQuoted().Replace(text, "'<value>'");
        text = DoubleQuoted().Replace(text, "\"<value>\"");
        text = HexPrefixed().Replace(text, "<hex>");
        text = HexRun().Replace(text, "<hex>");
        text = Number().Replace(text, "<num>");
        return text;
    }

    /// <summary>The first line of <paramref name="text"/>, trimmed.</summary>
    public static string FirstLine(string text)
    {
        var end = text.AsSpan().IndexOfAny('\r', '\n');
        return (end < 0 ? text : text[..end]).Trim();
    }

    [GeneratedRegex(@"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")]
    private static partial Regex Uuid();

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")]
    private static partial Regex Email();

    [GeneratedRegex(@"(?<base>\b[a-zA-Z][a-zA-Z0-9+.-]{0,20}://[^\s/?#""'<>]+[^\s?#""'<>]*)(?<query>\?[^\s#""'<>]*)?(?:#[^\s""'<>]*)?")]
    private static partial Regex Url();

    [GeneratedRegex(@"\b(?:\d{1,3}\.){3}\d{1,3}\b")]
    private static partial Regex IpV4();

    // Full eight-group form, or the compressed form with "::" (holding a digit, so C++ "Abc::Def" is left alone).
    [GeneratedRegex(@"\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b|(?<![\w:])(?=[0-9a-fA-F:]*\d)(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,6})?::(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,6})?(?![\w:])")]
    private static partial Regex IpV6();

    [GeneratedRegex(@"'[^'\r\n]{1,200}'")]
    private static partial Regex SingleQuoted();

    [GeneratedRegex(@"""[^""\r\n]{1,200}""")]
    private static partial Regex DoubleQuoted();

    [GeneratedRegex(@"\b0[xX][0-9a-fA-F]+\b")]
    private static partial Regex HexPrefixed();

    // Eight or more hex digits with at least one digit and one letter: hashes, object ids, addresses.
    [GeneratedRegex(@"\b(?=[0-9a-fA-F]*[0-9])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b")]
    private static partial Regex HexRun();

    [GeneratedRegex(@"\d+(?:\.\d+)?")]
    private static partial Regex Number();
}
