using System.Text.Json;

namespace Kestrel.Ingest;

/// <summary>
/// Copies arbitrary event JSON while applying the soft limits: long strings are cut, long arrays are
/// cut, and stack traces keep both ends (the caller's entry point and where the error was raised).
/// </summary>
public static class JsonCopier
{
    public static void Copy(JsonElement value, Utf8JsonWriter writer, string propertyName)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name.Length <= IngestLimits.MaxTagLength
                        ? property.Name
                        : EventNormaliser.Truncate(property.Name, IngestLimits.MaxTagLength));
                    Copy(property.Value, writer, property.Name);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                var count = value.GetArrayLength();
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (propertyName == "frames" ? KeepFrame(index, count) : index < IngestLimits.MaxArrayItems)
                        Copy(item, writer, propertyName);
                    index++;
                }
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                var text = value.GetString()!;
                if (text.Length <= IngestLimits.MaxStringLength) value.WriteTo(writer);
                else writer.WriteStringValue(EventNormaliser.Truncate(text, IngestLimits.MaxStringLength));
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }

    /// <summary>Over the frame limit, keep the first (outermost) frames and the last (innermost) ones.</summary>
    public static bool KeepFrame(int index, int count) =>
        count <= IngestLimits.MaxFrames
        || index < IngestLimits.KeptOuterFrames
        || index >= count - (IngestLimits.MaxFrames - IngestLimits.KeptOuterFrames);
}
