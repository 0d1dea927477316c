using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Kestrel.Mcp;

/// <summary>
/// The <c>triage</c> prompt's query, in the terms the issue list understands today: <c>is:</c> with a status
/// (<c>is:unresolved</c> meaning open) and free words matched against title and culprit.
/// </summary>
public static class TriageQuery
{
    public static (string? Status, string? Text) Parse(string query)
    {
        string? status = null;
        var words = new List<string>();
        foreach (var term in query.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            switch (term.ToLowerInvariant())
            {
                case "is:open" or "is:unresolved": status = "open"; break;
                case "is:resolved": status = "resolved"; break;
                case "is:ignored": status = "ignored"; break;
                case var other when other.Contains(':'):
                    throw new McpProtocolException(
                        $"query term '{ErrorText.Clean(term.Length > 60 ? term[..60] + "…" : term)}' is not understood: use is:unresolved, is:resolved, is:ignored and words of the title or culprit.",
                        McpErrorCode.InvalidParams);
                default: words.Add(term); break;
            }
        }
        return (status, words.Count == 0 ? null : string.Join(' ', words));
    }
}
