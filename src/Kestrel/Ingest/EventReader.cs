using System.Globalization;
using System.Text.Json;

namespace Kestrel.Ingest;

/// <summary>
/// Lenient readers for the shapes Sentry's event format allows for one field
/// (reference §3: string or object, list or <c>{values}</c>, string or number).
/// </summary>
public static class EventReader
{
    public static readonly string[] Levels = ["fatal", "error", "warning", "info", "debug"];

    public static string? String(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) ? AsString(value) : null;

    public static string? AsString(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => RepeatedStrings.Of(value),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    /// <summary>Whether <see cref="AsString"/> reads the element as a text (a string, number or boolean), not null.</summary>
    public static bool IsText(JsonElement value) =>
        value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False;

    public static int? AsInt(JsonElement value) => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : null;

    public static bool? Bool(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? AsBool(value) : null;

    public static bool? AsBool(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>The items of <c>[...]</c> or <c>{"values": [...]}</c>; nothing for any other shape.</summary>
    public static JsonElement.ArrayEnumerator? Values(JsonElement value) =>
        ValuesArray(value) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : null;

    /// <summary>The array of <c>[...]</c> or <c>{"values": [...]}</c>; an undefined element for any other shape.</summary>
    public static JsonElement ValuesArray(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Array) return value;
        if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("values", out var inner) && inner.ValueKind == JsonValueKind.Array)
            return inner;
        return default;
    }

    /// <summary>RFC 3339 string (no offset means UTC) or seconds since the epoch.</summary>
    public static DateTimeOffset? Timestamp(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number when value.TryGetDouble(out var seconds) && seconds is > 0 and < 253402300799:
                return DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
            case JsonValueKind.String when DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed):
                return parsed;
            case JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var text) && text is > 0 and < 253402300799:
                return DateTimeOffset.FromUnixTimeMilliseconds((long)(text * 1000));
            default:
                return null;
        }
    }

    /// <summary>Known levels pass; legacy names are mapped; anything else is "error".</summary>
    public static string Level(string? level) => level?.ToLowerInvariant() switch
    {
        null => "error",
        "warn" => "warning",
        "critical" => "fatal",
        "log" => "info",
        "trace" => "debug",
        var known when Array.IndexOf(Levels, known) >= 0 => known,
        _ => "error",
    };

    /// <summary>A 32-hex event id (dashes dropped, lowercased), or null when the text is not one.</summary>
    public static string? EventId(string? text)
    {
        if (text is null) return null;
        var hex = text.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        return hex.Length == 32 && hex.All(char.IsAsciiHexDigitLower) ? hex : null;
    }
}
