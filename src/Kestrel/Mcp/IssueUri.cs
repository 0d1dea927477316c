using System.Globalization;
using Kestrel.Ingest;

namespace Kestrel.Mcp;

/// <summary>
/// The address of an MCP resource: <c>kestrel://issues/{id}</c> (an issue as <c>get_error</c> shows it) or
/// <c>kestrel://issues/{id}/events/{event_id}</c> (one event in full). Parsing is strict: clients build these
/// from the templates or copy them from <c>resources/list</c>, so anything else is a mistake worth naming.
/// </summary>
public sealed record IssueUri(long IssueId, string? EventId)
{
    public const string IssueTemplate = "kestrel://issues/{id}";
    public const string EventTemplate = "kestrel://issues/{id}/events/{event_id}";
    private const string Prefix = "kestrel://issues/";
    private const int MaxShownLength = 120;

    public static string ForIssue(long issueId) => Prefix + issueId.ToString(CultureInfo.InvariantCulture);

    public override string ToString() => EventId is null ? ForIssue(IssueId) : ForIssue(IssueId) + "/events/" + EventId;

    /// <summary>Whether a URI names a Kestrel resource at all; any other is another server's, and simply unknown here.</summary>
    public static bool IsKestrel(string uri) => uri.StartsWith("kestrel:", StringComparison.OrdinalIgnoreCase);

    /// <returns>the issue (and event) a URI names, or null when it is not in one of the two forms</returns>
    public static IssueUri? Parse(string uri)
    {
        if (!uri.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)) return null;
        var parts = uri[Prefix.Length..].Split('/');
        if (ParseIssueId(parts[0]) is not { } issueId) return null;
        return parts switch
        {
            [_] => new IssueUri(issueId, null),
            [_, "events", var eventId] when EventReader.EventId(eventId) is { } normalised => new IssueUri(issueId, normalised),
            _ => null,
        };
    }

    /// <summary>An issue id as a prompt argument or URI segment gives it: a positive whole number in plain digits.</summary>
    public static long? ParseIssueId(string text) =>
        text.Length is > 0 and <= 18 && text.All(char.IsAsciiDigit) && long.Parse(text, CultureInfo.InvariantCulture) is > 0 and var id ? id : null;

    /// <summary>What a malformed Kestrel URI gets: the forms it must have. The URI is shown cleaned and cut, as event text is.</summary>
    public static string Problem(string uri)
    {
        var shown = ErrorText.Clean(uri.Length > MaxShownLength ? uri[..MaxShownLength] + "…" : uri);
        return $"'{shown}' is not a Kestrel resource URI. Use {IssueTemplate} with an issue id from list_errors (e.g. kestrel://issues/42), "
            + $"or {EventTemplate} with one of its 32-character hexadecimal event ids.";
    }
}
