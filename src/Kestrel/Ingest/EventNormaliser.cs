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
    public static NormalisedEvent Normalise(JsonElement root, DateTimeOffset receivedAt, string? eventId = null)
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
                if (messageParams is { } p) { writer.WritePropertyName("params"); JsonCopier.Copy(p, writer, "params"); }
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
                switch (property.Name)
                {
                    case "event_id" or "timestamp" or "level" or "message" or "logentry" or "sentry.interfaces.Message" or "fingerprint":
                        break;
                    case "exception" or "threads":
                        WriteValues(writer, property.Name, property.Value, IngestLimits.MaxExceptions, keepNewest: true);
                        break;
                    case "breadcrumbs":
                        WriteValues(writer, property.Name, property.Value, IngestLimits.MaxBreadcrumbs, keepNewest: true);
                        break;
                    case "tags":
                        WriteTags(writer, property.Value);
                        break;
                    default:
                        writer.WritePropertyName(property.Name);
                        JsonCopier.Copy(property.Value, writer, property.Name);
                        break;
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
            Payload = TakePayload(buffer),
        };
    }

    // One buffer per thread for writing payloads: growing a fresh one for each event made three
    // arrays of garbage per event. One that grew for a large event is let go, not kept per thread.
    [ThreadStatic] private static System.Buffers.ArrayBufferWriter<byte>? scratch;

    private static byte[] TakePayload(System.Buffers.ArrayBufferWriter<byte> buffer)
    {
        var payload = buffer.WrittenSpan.ToArray();
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

    /// <summary>Writes a list-or-<c>{values}</c> field as <c>{"values": [...]}</c>, keeping the newest items.</summary>
    private static void WriteValues(Utf8JsonWriter writer, string name, JsonElement value, int max, bool keepNewest)
    {
        if (EventReader.Values(value) is not { } items) return;
        var list = items.ToList();
        var skip = keepNewest ? Math.Max(0, list.Count - max) : 0;
        writer.WriteStartObject(name);
        writer.WriteStartArray("values");
        foreach (var item in list.Skip(skip).Take(max)) JsonCopier.Copy(item, writer, name);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Tags as one object of strings, from an object or a list of [key, value] pairs.</summary>
    private static void WriteTags(Utf8JsonWriter writer, JsonElement value)
    {
        IEnumerable<(string?, string?)> pairs = value.ValueKind switch
        {
            JsonValueKind.Object => value.EnumerateObject().Select(p => ((string?)p.Name, EventReader.AsString(p.Value))),
            JsonValueKind.Array => value.EnumerateArray()
                .Where(p => p.ValueKind == JsonValueKind.Array && p.GetArrayLength() == 2)
                .Select(p => (EventReader.AsString(p[0]), EventReader.AsString(p[1]))),
            _ => [],
        };
        writer.WriteStartObject("tags");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, tagValue) in pairs)
        {
            if (key is null || tagValue is null) continue;
            var k = Truncate(key, IngestLimits.MaxTagLength);
            if (!seen.Add(k)) continue;
            writer.WriteString(k, Truncate(tagValue, IngestLimits.MaxTagLength));
            if (seen.Count == IngestLimits.MaxTags) break;
        }
        writer.WriteEndObject();
    }

    public static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
