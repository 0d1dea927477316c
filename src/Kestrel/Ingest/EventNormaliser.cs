using System.Runtime.InteropServices;
using System.Text.Json;
using Kestrel.Platform;

namespace Kestrel.Ingest;

/// <summary>
/// Step 020 of ingest: turns one event object, in any of the shapes Sentry SDKs send, into a
/// <see cref="NormalisedEvent"/>. The stored payload is re-written with one shape per field
/// (<c>logentry</c> object, <c>exception.values</c>, <c>tags</c> object, <c>breadcrumbs.values</c>,
/// <c>timestamp</c> in seconds) and every soft limit applied, so readers never deal with the variants.
/// </summary>
public static class EventNormaliser
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = KestrelJson.Encoder, SkipValidation = true };

    /// <param name="eventId">an id that wins over the event's own (an envelope header's), or null</param>
    /// <param name="pooledPayload">whether the compressed payload may live in a pooled array (<see cref="StoredPayload.Compress"/>)</param>
    public static NormalisedEvent Normalise(JsonElement root, DateTimeOffset receivedAt, string? eventId = null, bool pooledPayload = true)
    {
        eventId ??= EventReader.EventId(EventReader.String(root, "event_id")) ?? Guid.NewGuid().ToString("N");
        var timestamp = root.TryGetProperty("timestamp", out var ts) ? EventReader.Timestamp(ts) ?? receivedAt : receivedAt;
        var level = EventReader.Level(EventReader.String(root, "level"));
        var (message, template, messageParams) = ReadMessage(root);
        var exceptions = ExceptionReader.Read(root);
        var fingerprint = ReadFingerprint(root);

        var buffer = scratch ??= new System.Buffers.ArrayBufferWriter<byte>(16 * 1024);
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("event_id", eventId);
            writer.WriteNumber("timestamp", timestamp.ToUnixTimeMilliseconds() / 1000.0);
            writer.WriteString("level", level);
            if (message is not null || template is not null)
            {
                writer.WriteStartObject("logentry");
                if (template is not null) writer.WriteString("message", Truncate(template, IngestLimits.MaxMessageLength));
                if (messageParams is { } p) { writer.WritePropertyName("params"); JsonCopier.Copy(p, writer); }
                if (message is not null) writer.WriteString("formatted", Truncate(message, IngestLimits.MaxMessageLength));
                writer.WriteEndObject();
            }
            if (fingerprint is not null)
            {
                writer.WriteStartArray("fingerprint");
                foreach (var part in fingerprint) writer.WriteStringValue(part);
                writer.WriteEndArray();
            }
            foreach (var property in root.EnumerateObject())
            {
                // By the name's bytes, not a string made for each property of every event.
                if (property.NameEquals("event_id"u8) || property.NameEquals("timestamp"u8) || property.NameEquals("level"u8)
                    || property.NameEquals("message"u8) || property.NameEquals("logentry"u8) || property.NameEquals("sentry.interfaces.Message"u8)
                    || property.NameEquals("fingerprint"u8))
                    continue;
                if (property.NameEquals("exception"u8))
                    WriteValues(writer, "exception", property.Value, IngestLimits.MaxExceptions);
                else if (property.NameEquals("threads"u8))
                    WriteValues(writer, "threads", property.Value, IngestLimits.MaxExceptions);
                else if (property.NameEquals("breadcrumbs"u8))
                    WriteValues(writer, "breadcrumbs", property.Value, IngestLimits.MaxBreadcrumbs);
                else if (property.NameEquals("tags"u8))
                    WriteTags(writer, property.Value);
                else
                {
                    JsonCopier.WriteName(property, writer);
                    JsonCopier.Copy(property.Value, writer, property.NameEquals("frames"u8));
                }
            }
            writer.WriteEndObject();
        }

        return new NormalisedEvent
        {
            EventId = eventId,
            Timestamp = timestamp,
            Level = level,
            Platform = EventReader.String(root, "platform"),
            Message = message is null ? null : Truncate(message, IngestLimits.MaxMessageLength),
            MessageTemplate = template is null ? null : Truncate(template, IngestLimits.MaxMessageLength),
            Exceptions = exceptions,
            Fingerprint = fingerprint,
            Transaction = EventReader.String(root, "transaction"),
            Release = EventReader.String(root, "release"),
            Environment = EventReader.String(root, "environment"),
            CompressedPayload = TakePayload(buffer, pooledPayload),
        };
    }

    // One buffer per thread for writing payloads: growing a fresh one for each event made three
    // arrays of garbage per event. One that grew for a large event is let go, not kept per thread.
    [ThreadStatic] private static System.Buffers.ArrayBufferWriter<byte>? scratch;

    /// <summary>The payload compressed straight from the buffer: the writer stores only that.</summary>
    private static PooledPayload TakePayload(System.Buffers.ArrayBufferWriter<byte> buffer, bool pooled)
    {
        var payload = StoredPayload.Compress(buffer.WrittenSpan, pooled);
        if (buffer.Capacity > 256 * 1024) scratch = null;
        return payload;
    }

    /// <summary><c>logentry</c>, <c>message</c> (string or object) or the legacy interface name.</summary>
    private static (string? Formatted, string? Template, JsonElement? Params) ReadMessage(JsonElement root)
    {
        foreach (var name in (ReadOnlySpan<string>)["logentry", "message", "sentry.interfaces.Message"])
        {
            if (!root.TryGetProperty(name, out var value)) continue;
            if (value.ValueKind == JsonValueKind.String) return (value.GetString(), null, null);
            if (value.ValueKind != JsonValueKind.Object) continue;
            var template = EventReader.String(value, "message");
            var formatted = EventReader.String(value, "formatted");
            JsonElement? parameters = value.TryGetProperty("params", out var p) ? p : null;
            if (formatted is null && template is null) continue;
            return (formatted ?? template, template, parameters);
        }
        return (null, null, null);
    }

    private static List<string>? ReadFingerprint(JsonElement root)
    {
        if (!root.TryGetProperty("fingerprint", out var value) || value.ValueKind != JsonValueKind.Array) return null;
        var parts = value.EnumerateArray()
            .Select(EventReader.AsString).OfType<string>()
            .Take(IngestLimits.MaxFingerprintParts)
            .Select(p => Truncate(p, IngestLimits.MaxTagLength))
            .ToList();
        return parts.Count == 0 ? null : parts;
    }

    /// <summary>Writes a list-or-<c>{values}</c> field as <c>{"values": [...]}</c>, keeping the newest <paramref name="max"/> items.</summary>
    private static void WriteValues(Utf8JsonWriter writer, string name, JsonElement value, int max)
    {
        if (EventReader.Values(value) is not { } items) return;
        var skip = Math.Max(0, EventReader.ValuesArray(value).GetArrayLength() - max);
        writer.WriteStartObject(name);
        writer.WriteStartArray("values");
        foreach (var item in items)
        {
            if (skip > 0) skip--;
            else JsonCopier.Copy(item, writer);
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Tags as one object of strings, from an object or a list of [key, value] pairs; a repeated key counts once, the first.</summary>
    private static void WriteTags(Utf8JsonWriter writer, JsonElement value)
    {
        writer.WriteStartObject("tags");
        var keys = tagKeys ??= new TagKeySet();
        keys.Clear();
        if (value.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in value.EnumerateObject())
            {
                if (!EventReader.IsText(property.Value)) continue;
                var name = JsonMarshal.GetRawUtf8PropertyName(property);
                var added = name.Length <= IngestLimits.MaxTagLength && name.IndexOf((byte)'\\') < 0
                    ? keys.TryAdd(name) // its bytes are its text, within the limit
                    : keys.TryAdd(Truncate(property.Name, IngestLimits.MaxTagLength));
                if (!added) continue;
                WriteTag(writer, keys.Last, property.Value);
                if (keys.Count == IngestLimits.MaxTags) break;
            }
        }
        else if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var pair in value.EnumerateArray())
            {
                if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2 || !EventReader.IsText(pair[1])) continue;
                var added = TryRawText(pair[0], out var raw) ? keys.TryAdd(raw)
                    : EventReader.AsString(pair[0]) is { } key && keys.TryAdd(Truncate(key, IngestLimits.MaxTagLength));
                if (!added) continue;
                WriteTag(writer, keys.Last, pair[1]);
                if (keys.Count == IngestLimits.MaxTags) break;
            }
        }
        writer.WriteEndObject();
    }

    // The keys of the tags written so far, one set per thread, as UTF-8: no string per tag key of every event.
    [ThreadStatic] private static TagKeySet? tagKeys;

    private static void WriteTag(Utf8JsonWriter writer, ReadOnlySpan<byte> key, JsonElement value)
    {
        if (TryRawText(value, out var raw)) writer.WriteString(key, raw);
        else writer.WriteString(key, Truncate(EventReader.AsString(value)!, IngestLimits.MaxTagLength));
    }

    /// <summary>
    /// The UTF-8 of a string, number or boolean as <see cref="EventReader.AsString"/> reads it, when that is its raw bytes
    /// (no escapes) and within the tag limit, so no string is made for it; false otherwise (read it as a string).
    /// UTF-8 never takes fewer bytes than UTF-16 code units, so bytes within the limit are characters within it.
    /// </summary>
    private static bool TryRawText(JsonElement value, out ReadOnlySpan<byte> text)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        text = value.ValueKind switch
        {
            JsonValueKind.String => raw[1..^1],
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => raw,
            _ => default,
        };
        return EventReader.IsText(value) && text.Length <= IngestLimits.MaxTagLength && text.IndexOf((byte)'\\') < 0;
    }

    public static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
