using System.Globalization;
using System.Text;
using Kestrel.Tags;

namespace Kestrel.Search;

/// <summary>
/// Reads the one search syntax of the web UI, <c>GET /api/issues?query=</c> and MCP <c>list_errors</c>
/// (PRODUCT §15, docs/search.md). Pure: no clock, no database. A malformed term is refused with one
/// sentence naming the term and what is wrong, which the REST API answers as a 400 and MCP as a tool error.
/// </summary>
public static class SearchParser
{
    public const int MaxLength = 400;
    public const int MaxTerms = 20;

    private static readonly Dictionary<string, string> UserFields = new(StringComparer.OrdinalIgnoreCase)
    {
        ["user.id"] = "id:", ["user.username"] = "username:", ["user.email"] = "email:", ["user.ip"] = "ip:", ["user.ip_address"] = "ip:",
    };

    private static readonly string[] Operators = [">=", "<=", ">", "<", "="];

    /// <returns>null and the query, or a sentence saying which term is wrong and why (and no query)</returns>
    public static string? TryParse(string? text, out SearchQuery query)
    {
        query = SearchQuery.All;
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (text.Length > MaxLength) return $"query must be at most {MaxLength} characters.";
        var terms = new List<SearchTerm>();
        foreach (var token in Tokens(text))
        {
            if (token.Problem is not null) return Malformed(token.Raw, token.Problem);
            var (term, problem) = Term(token);
            if (problem is not null) return Malformed(token.Raw, problem);
            terms.Add(term!);
        }
        if (terms.Count > MaxTerms) return $"query has {terms.Count} terms; at most {MaxTerms} are allowed.";
        query = new SearchQuery(terms);
        return null;
    }

    private static string Malformed(string raw, string problem) => $"The search term {Quote(raw)} is malformed: {problem}";

    private static string Quote(string raw) => "'" + (raw.Length > 60 ? raw[..59] + "…" : raw) + "'";

    /// <param name="Key">the part before the first colon outside quotes, or null for a plain word</param>
    /// <param name="Quoted">whether the value (or the word) was written in double quotes</param>
    private sealed record Token(string Raw, bool Negated, string? Key, string Value, bool Quoted, string? Problem);

    private static (SearchTerm?, string?) Term(Token token)
    {
        var negated = token.Negated;
        if (token.Key is null) return (new TextTerm(token.Value, negated), null);
        var key = token.Key;
        var value = token.Value;
        if (value.Length == 0)
            return (null, token.Quoted ? $"{key} needs a value inside the quotes." : $"{key}: has no value; write {key}:value, or put free text with a colon in double quotes.");

        switch (key.ToLowerInvariant())
        {
            case "is":
                return value.ToLowerInvariant() switch
                {
                    "open" or "unresolved" => (new StatusTerm("open", negated), null),
                    "resolved" or "ignored" or "regressed" => (new StatusTerm(value.ToLowerInvariant(), negated), null),
                    _ => (null, "is: takes open, unresolved, resolved, ignored or regressed."),
                };
            case "has":
                return EventTags.IsKey(value) ? (new HasTagTerm(TagKey(value), negated), null) : (null, KeyProblem(value));
            case "firstseen" or "lastseen":
                var field = key.Equals("firstSeen", StringComparison.OrdinalIgnoreCase) ? IssueTime.FirstSeen : IssueTime.LastSeen;
                return ParseAge(value) is var (within, span)
                    ? (new AgeTerm(field, within, span, negated), null)
                    : (null, $"{key} takes - (within) or + (longer ago) and an amount of m, h, d or w, such as {key}:-24h or {key}:+7d.");
            case "timesseen" or "users":
                var count = key.Equals("users", StringComparison.OrdinalIgnoreCase) ? IssueCount.Users : IssueCount.TimesSeen;
                return ParseComparison(value) is var (op, number)
                    ? (new CountTerm(count, op, number, negated), null)
                    : (null, $"{key} takes a comparison (>, >=, <, <=, =) and a whole number, such as {key}:>100.");
        }

        if (!EventTags.IsKey(key)) return (null, KeyProblem(key));
        if (UserFields.TryGetValue(key, out var prefix)) return (Tag("user", prefix + value, negated), null);
        if (key == "release" && value == "latest" && !token.Quoted) return (new LatestReleaseTerm(negated), null);
        return (Tag(key, value, negated), null);
    }

    private static TagTerm Tag(string key, string value, bool negated) => new(key, value, value.Contains('*'), negated);

    /// <summary>user.email and its kin are fields of the one <c>user</c> tag; other keys are as written.</summary>
    private static string TagKey(string key) => UserFields.ContainsKey(key) ? "user" : key;

    private static string KeyProblem(string key) =>
        $"{Quote(key)} is not a tag key: a key is 1 to {EventTags.MaxKeyLength} letters, digits or _ . : - (put free text with other characters in double quotes).";

    private static (bool Within, TimeSpan Span)? ParseAge(string value)
    {
        if (value.Length < 3 || value[0] is not ('-' or '+')) return null;
        if (!long.TryParse(value.AsSpan(1, value.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount > 100_000) return null;
        TimeSpan? span = value[^1] switch
        {
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            'w' => TimeSpan.FromDays(7 * amount),
            _ => null,
        };
        return span is { } s ? (value[0] == '-', s) : null;
    }

    private static (string Operator, long Value)? ParseComparison(string value)
    {
        var op = Operators.FirstOrDefault(o => value.StartsWith(o, StringComparison.Ordinal)) ?? "=";
        var digits = value.StartsWith(op, StringComparison.Ordinal) ? value[op.Length..] : value;
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? (op, n) : null;
    }

    /// <summary>
    /// Splits on spaces outside double quotes. A token is <c>[!]word</c>, <c>[!]"phrase"</c>, <c>[!]key:value</c> or
    /// <c>[!]key:"quoted value"</c>; inside quotes <c>\"</c> is a quote and <c>\\</c> a backslash.
    /// </summary>
    private static IEnumerable<Token> Tokens(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i])) { i++; continue; }
            var start = i;
            var negated = text[i] == '!';
            if (negated) i++;
            string? key = null;
            var value = new StringBuilder();
            var quoted = false;
            string? problem = null;
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                var c = text[i];
                if (c == '"')
                {
                    if (quoted || value.Length > 0) { problem = "a quote may only open a value or a phrase, such as key:\"two words\"."; i++; continue; }
                    quoted = true;
                    var closed = false;
                    for (i++; i < text.Length; i++)
                    {
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\') { value.Append(text[++i]); continue; }
                        if (text[i] == '"') { closed = true; i++; break; }
                        value.Append(text[i]);
                    }
                    if (!closed) problem = "its double quote is never closed.";
                    continue;
                }
                if (c == ':' && key is null && !quoted)
                {
                    key = value.ToString();
                    value.Clear();
                    i++;
                    continue;
                }
                if (quoted) { problem = "text follows the closing quote; put a space between terms."; i++; continue; }
                value.Append(c);
                i++;
            }
            var raw = text[start..i];
            if (key is { Length: 0 }) problem ??= "there is no key before the colon.";
            if (key is null && value.Length == 0) problem ??= negated ? "! must be followed by a term, such as !browser:Firefox." : "the phrase is empty.";
            yield return new Token(raw, negated, key, value.ToString(), quoted, problem);
        }
    }
}
