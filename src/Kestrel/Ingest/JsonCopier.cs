using System.Runtime.InteropServices;
using System.Text.Json;

namespace Kestrel.Ingest;

/// <summary>
/// Copies arbitrary event JSON while applying the soft limits: long strings are cut, long arrays are
/// cut, and stack traces keep both ends (the caller's entry point and where the error was raised).
/// This runs over every byte of every event, so anything that cannot break a limit is copied as raw
/// bytes instead of being decoded and re-encoded (API responses escape strings again on the way out).
/// </summary>
public static class JsonCopier
{
    /// <summary>
    /// A value this short cannot hold anything over a limit: no string or property name over 200
    /// characters, no array over 100 items. It is copied as it is.
    /// </summary>
    private const int AlwaysWithinLimits = IngestLimits.MaxTagLength;

    /// <param name="frames">whether the value is a stack's <c>frames</c>, whose long lists keep both ends</param>
    public static void Copy(JsonElement value, Utf8JsonWriter writer, bool frames = false)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.Length <= AlwaysWithinLimits)
        {
            writer.WriteRawValue(raw, skipInputValidation: true);
            return;
        }
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject())
                {
                    WriteName(property, writer, IngestLimits.MaxTagLength);
                    Copy(property.Value, writer, property.NameEquals("frames"u8));
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                var count = value.GetArrayLength();
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (frames ? KeepFrame(index, count) : index < IngestLimits.MaxArrayItems)
                        Copy(item, writer, frames);
                    index++;
                }
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                // UTF-8 never takes fewer bytes than UTF-16 code units, so a short raw string is within the limit.
                if (raw.Length <= IngestLimits.MaxStringLength) writer.WriteRawValue(raw, skipInputValidation: true);
                else writer.WriteStringValue(EventNormaliser.Truncate(value.GetString()!, IngestLimits.MaxStringLength));
                break;
            default:
                writer.WriteRawValue(raw, skipInputValidation: true);
                break;
        }
    }

    /// <summary>
    /// Writes a property's name, cut to <paramref name="maxLength"/> characters (0: never cut). A name without escapes is
    /// written from its UTF-8 bytes, which are its text: no string is made for each name of every object copied.
    /// </summary>
    public static void WriteName(JsonProperty property, Utf8JsonWriter writer, int maxLength = 0)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        // UTF-8 never takes fewer bytes than UTF-16 code units, so a name this short is within the limit.
        if (raw.IndexOf((byte)'\\') < 0 && (maxLength == 0 || raw.Length <= maxLength))
        {
            writer.WritePropertyName(raw);
            return;
        }
        var name = property.Name;
        writer.WritePropertyName(maxLength == 0 || name.Length <= maxLength ? name : EventNormaliser.Truncate(name, maxLength));
    }

    /// <summary>Over the frame limit, keep the first (outermost) frames and the last (innermost) ones.</summary>
    public static bool KeepFrame(int index, int count) =>
        count <= IngestLimits.MaxFrames
        || index < IngestLimits.KeptOuterFrames
        || index >= count - (IngestLimits.MaxFrames - IngestLimits.KeptOuterFrames);
}
