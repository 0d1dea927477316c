using System.Runtime.InteropServices;
using System.Text.Json;

namespace Kestrel.Ingest;

/// <summary>
/// Turns a request body into events ready to store, in order: 010 parse (depth-limited), 020 normalise,
/// 022 tags, 030 group. Runs on the request's thread, so many requests prepare in parallel; only storing is serial.
/// Everything is checked before anything is stored: a bad event refuses the whole request.
/// </summary>
public static class IngestPipeline
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = IngestLimits.MaxJsonDepth };

    /// <param name="resolveSourceMaps">step 025, source-map resolution for the caller's project (between normalising and grouping), or null</param>
    public static (List<PreparedEvent>? Events, bool IsArray, Rejection? Rejection) Prepare(ReadOnlyMemory<byte> body, DateTimeOffset receivedAt,
        Func<NormalisedEvent, NormalisedEvent>? resolveSourceMaps = null)
    {
        var (document, rejection) = Parse(body, "The body");
        if (document is null) return (null, false, rejection);

        using (document)
        {
            var root = document.RootElement;
            var isArray = root.ValueKind == JsonValueKind.Array;
            if (!isArray && root.ValueKind != JsonValueKind.Object)
                return (null, false, new Rejection(400, "not_an_object", "An event must be a JSON object (or send an array of objects)."));

            if (isArray)
            {
                var count = root.GetArrayLength();
                if (count == 0) return (null, true, new Rejection(400, "empty", "The array holds no events."));
                if (count > IngestLimits.MaxEventsPerRequest)
                    return (null, true, new Rejection(413, "too_many_events", $"A request may hold at most {IngestLimits.MaxEventsPerRequest} events; this one has {count}."));
            }

            var elements = isArray ? root.EnumerateArray().ToList() : [root];
            var events = new List<PreparedEvent>(elements.Count);
            var pooled = elements.Count == 1; // the payloads of many events are exact copies (StoredPayload.Compress says why)
            for (var i = 0; i < elements.Count; i++)
            {
                var (prepared, refused) = PrepareElement(elements[i], receivedAt, isArray ? $"Event {i} " : "The event ", eventId: null, resolveSourceMaps, pooled);
                if (prepared is null) return (null, isArray, refused);
                events.Add(prepared);
            }
            return (events, isArray, null);
        }
    }

    /// <summary>One event object, such as an envelope's <c>event</c> item, whose id may come from elsewhere.</summary>
    /// <param name="eventId">an id that wins over the event's own (an envelope header's), or null</param>
    public static (PreparedEvent? Event, Rejection? Rejection) PrepareOne(ReadOnlyMemory<byte> json, DateTimeOffset receivedAt, string? eventId, string which,
        Func<NormalisedEvent, NormalisedEvent>? resolveSourceMaps = null)
    {
        if (json.Length > IngestLimits.MaxEventBytes)
            return (null, new Rejection(413, "event_too_large", which + $"is larger than {IngestLimits.MaxEventBytes / 1024 / 1024} MiB."));
        var (document, rejection) = Parse(json, which.TrimEnd());
        if (document is null) return (null, rejection);
        using (document) return PrepareElement(document.RootElement, receivedAt, which, eventId, resolveSourceMaps, pooledPayload: true);
    }

    private static (PreparedEvent?, Rejection?) PrepareElement(JsonElement element, DateTimeOffset receivedAt, string which, string? eventId,
        Func<NormalisedEvent, NormalisedEvent>? resolveSourceMaps, bool pooledPayload)
    {
        if (element.ValueKind != JsonValueKind.Object)
            return (null, new Rejection(400, "not_an_object", which + "is not a JSON object."));
        if (JsonMarshal.GetRawUtf8Value(element).Length > IngestLimits.MaxEventBytes)
            return (null, new Rejection(413, "event_too_large", which + $"is larger than {IngestLimits.MaxEventBytes / 1024 / 1024} MiB."));
        var normalised = EventNormaliser.Normalise(element, receivedAt, eventId, pooledPayload);
        if (resolveSourceMaps is not null)
        {
            var resolved = resolveSourceMaps(normalised);
            normalised.ReturnPayloadReplacedBy(resolved);
            normalised = resolved;
        }
        return (PreparedEvent.From(normalised, Tags.EventTags.Read(element, normalised.Level)), null);
    }

    /// <summary>Checks the bytes are text and parses them with the depth limit.</summary>
    /// <param name="what">how messages name the bytes, such as "The body"</param>
    private static (JsonDocument?, Rejection?) Parse(ReadOnlyMemory<byte> json, string what)
    {
        if (json.Span.Trim(" \t\r\n"u8).IsEmpty)
            return (null, new Rejection(400, "empty", $"{what} is empty; send one event object or an array of events."));

        // The JSON parser does not check UTF-8 inside strings; reading such a string later would throw.
        if (!System.Text.Unicode.Utf8.IsValid(json.Span))
            return (null, new Rejection(400, "malformed_json", $"{what} is not valid UTF-8."));

        if (HasLoneSurrogateEscape(json.Span))
            return (null, new Rejection(400, "malformed_json", $"{what} holds a \\u escape of half a UTF-16 surrogate pair, which is not text."));

        try { return (JsonDocument.Parse(json, ParseOptions), null); }
        catch (JsonException e)
        {
            var why = e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase)
                ? $"it is nested deeper than {IngestLimits.MaxJsonDepth} levels"
                : $"error at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}";
            return (null, new Rejection(400, "malformed_json", $"{what} is not valid JSON: {why}."));
        }
    }

    /// <summary>
    /// The JSON parser accepts <c>"\ud800"</c>, but decoding it throws, and events are stored by copying
    /// raw bytes, so such a string would fail every later read of the event. Only bodies that contain
    /// <c>\uD</c> at all (rare) pay for the full check.
    /// </summary>
    private static bool HasLoneSurrogateEscape(ReadOnlySpan<byte> body)
    {
        if (body.IndexOf("\\ud"u8) < 0 && body.IndexOf("\\uD"u8) < 0) return false;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = IngestLimits.MaxJsonDepth });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped) reader.GetString();
            }
        }
        catch (InvalidOperationException) { return true; }
        catch (JsonException) { return false; } // the parser that follows reports it
        return false;
    }
}
