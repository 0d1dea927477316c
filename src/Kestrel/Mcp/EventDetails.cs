using System.Text.Json;
using Kestrel.Ingest;

namespace Kestrel.Mcp;

/// <summary>
/// Reads a stored (normalised) event into what <c>get_error</c> shows, cut to a size an agent can afford:
/// the newest few frames of the newest few exceptions, source context around the innermost in-app
/// frames, short strings. A summary (every event but the newest) has fewer frames, no source context
/// and no breadcrumbs. Every field is read leniently: the stored JSON is whatever the client sent.
/// </summary>
public static class EventDetails
{
    public const int MaxExceptions = 5;
    public const int MaxFrames = 30;
    public const int MaxSummaryFrames = 10;
    public const int FramesWithContext = 5;
    public const int ContextLinesEachSide = 3;
    public const int MaxBreadcrumbs = 20;
    public const int MaxTags = 30;
    private const int MaxBreadcrumbData = 6;
    private const int MaxText = 1000;   // characters of a message or exception value
    private const int MaxShort = 300;   // characters of any other string

    /// <param name="root">the stored event, already resolved with source maps that arrived after it (PRODUCT §7)</param>
    public static ErrorEvent Read(JsonElement root, string id, DateTime receivedAt, DateTime timestamp, string level, bool full)
    {
        var exceptions = new List<ErrorException>();
        if (root.TryGetProperty("exception", out var exception) && EventReader.Values(exception) is { } values)
        {
            // Stored oldest first (the cause before what it caused); shown from the exception raised last.
            foreach (var value in values.Where(v => v.ValueKind == JsonValueKind.Object).Reverse().Take(MaxExceptions))
                exceptions.Add(ReadException(value, full && exceptions.Count == 0, full ? MaxFrames : MaxSummaryFrames));
        }
        var logentry = root.TryGetProperty("logentry", out var entry) ? entry : default;
        return new ErrorEvent(id, timestamp, receivedAt, level,
            Cut(EventReader.String(logentry, "formatted") ?? EventReader.String(logentry, "message"), MaxText),
            Short(root, "platform"), Short(root, "release"), Short(root, "environment"), Short(root, "transaction"),
            exceptions,
            ReadRequest(root), ReadUser(root), ReadTags(root),
            full ? ReadBreadcrumbs(root) : null);
    }

    private static ErrorException ReadException(JsonElement value, bool withContext, int maxFrames)
    {
        var stored = new List<ErrorFrame>();
        if (value.TryGetProperty("stacktrace", out var stacktrace) && stacktrace.ValueKind == JsonValueKind.Object
            && stacktrace.TryGetProperty("frames", out var frames) && frames.ValueKind == JsonValueKind.Array)
            stored.AddRange(frames.EnumerateArray().Where(f => f.ValueKind == JsonValueKind.Object).Select(ReadFrame));

        var innermostFirst = Enumerable.Reverse(stored).Take(maxFrames).ToList();
        var anyInApp = innermostFirst.Any(f => f.InApp == true);
        var withSource = 0;
        for (var i = 0; i < innermostFirst.Count; i++)
        {
            var frame = innermostFirst[i];
            var keepContext = withContext && withSource < FramesWithContext && (frame.InApp == true || !anyInApp) && frame.ContextLine is not null;
            if (keepContext) withSource++;
            innermostFirst[i] = keepContext
                ? frame with { PreContext = frame.PreContext?.TakeLast(ContextLinesEachSide).ToList(), PostContext = frame.PostContext?.Take(ContextLinesEachSide).ToList() }
                : frame with { PreContext = null, ContextLine = null, PostContext = null };
        }
        return new ErrorException(Short(value, "type"), Cut(EventReader.String(value, "value"), MaxText), Short(value, "module"),
            innermostFirst, stored.Count - innermostFirst.Count);
    }

    private static ErrorFrame ReadFrame(JsonElement frame) =>
        new(Short(frame, "function"), Short(frame, "filename") ?? Short(frame, "abs_path") ?? Short(frame, "module"),
            Int(frame, "lineno"), Int(frame, "colno"), EventReader.Bool(frame, "in_app"), Short(frame, "module"),
            Lines(frame, "pre_context"), Short(frame, "context_line"), Lines(frame, "post_context"));

    private static EventRequest? ReadRequest(JsonElement root)
    {
        if (!root.TryGetProperty("request", out var request) || request.ValueKind != JsonValueKind.Object) return null;
        var url = Cut(EventReader.String(request, "url"), MaxShort * 2);
        return url is null ? null : new EventRequest(Short(request, "method"), url);
    }

    private static EventUser? ReadUser(JsonElement root)
    {
        if (!root.TryGetProperty("user", out var user) || user.ValueKind != JsonValueKind.Object) return null;
        var read = new EventUser(Short(user, "id"), Short(user, "email"), Short(user, "username"), Short(user, "ip_address"));
        return read == new EventUser(null, null, null, null) ? null : read;
    }

    /// <summary>Tags are stored as one object of strings (the normaliser's shape).</summary>
    private static Dictionary<string, string>? ReadTags(JsonElement root)
    {
        if (!root.TryGetProperty("tags", out var tags) || tags.ValueKind != JsonValueKind.Object) return null;
        var read = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in tags.EnumerateObject().Take(MaxTags))
            if (EventReader.AsString(tag.Value) is { } text) read.TryAdd(tag.Name, text);
        return read.Count == 0 ? null : read;
    }

    private static List<EventBreadcrumb>? ReadBreadcrumbs(JsonElement root)
    {
        if (!root.TryGetProperty("breadcrumbs", out var breadcrumbs) || EventReader.Values(breadcrumbs) is not { } values) return null;
        var read = values.Where(b => b.ValueKind == JsonValueKind.Object).TakeLast(MaxBreadcrumbs).Select(b => new EventBreadcrumb(
            b.TryGetProperty("timestamp", out var ts) ? EventReader.Timestamp(ts)?.UtcDateTime : null,
            Short(b, "type"), Short(b, "category"), Short(b, "level"), Short(b, "message"), ReadData(b))).ToList();
        return read.Count == 0 ? null : read;
    }

    /// <summary>The breadcrumb's scalar data (url, method, status_code...), a few entries.</summary>
    private static Dictionary<string, string>? ReadData(JsonElement breadcrumb)
    {
        if (!breadcrumb.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object) return null;
        var read = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in data.EnumerateObject())
        {
            if (Cut(EventReader.AsString(entry.Value), MaxShort) is { } text) read.TryAdd(Cut(entry.Name, 50)!, text);
            if (read.Count == MaxBreadcrumbData) break;
        }
        return read.Count == 0 ? null : read;
    }

    private static List<string>? Lines(JsonElement frame, string property)
    {
        if (!frame.TryGetProperty(property, out var lines) || lines.ValueKind != JsonValueKind.Array) return null;
        return lines.EnumerateArray().Select(l => Cut(EventReader.AsString(l), MaxShort) ?? "").ToList();
    }

    private static int? Int(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? EventReader.AsInt(value) : null;

    private static string? Short(JsonElement element, string property) => Cut(EventReader.String(element, property), MaxShort);

    private static string? Cut(string? text, int max) => text is null ? null : EventNormaliser.Truncate(text, max);
}
