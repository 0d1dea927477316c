using System.Text.Json;
using Kestrel.Platform;

namespace Kestrel.Issues.Pages;

/// <summary>Event JSON as text for display. The text is hostile: Razor escapes it where it is shown.</summary>
public static class JsonText
{
    private const int MaxLength = 10_000;

    public static string? String(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)
            ? Of(value) : null;

    /// <summary>A string as itself, anything else as compact JSON, cut at 10,000 characters.</summary>
    public static string Of(JsonElement value)
    {
        var text = value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : JsonSerializer.Serialize(value, KestrelJson.Options);
        return text.Length > MaxLength ? text[..MaxLength] + " …" : text;
    }

    public static int? Int(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
        && value.TryGetInt32(out var n) ? n : null;

    /// <summary>Name/value rows of an object, or of a list of [name, value] pairs (how SDKs send headers and tags).</summary>
    public static List<KeyValuePair<string, string>> Pairs(JsonElement value)
    {
        var rows = new List<KeyValuePair<string, string>>();
        if (value.ValueKind == JsonValueKind.Object)
            foreach (var property in value.EnumerateObject()) rows.Add(new(property.Name, Of(property.Value)));
        else if (value.ValueKind == JsonValueKind.Array)
            foreach (var item in value.EnumerateArray())
                if (item.ValueKind == JsonValueKind.Array && item.GetArrayLength() == 2) rows.Add(new(Of(item[0]), Of(item[1])));
        return rows;
    }

    public static List<KeyValuePair<string, string>> Pairs(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) ? Pairs(value) : [];

    public static IEnumerable<JsonElement> Values(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var container) && container.ValueKind == JsonValueKind.Object
        && container.TryGetProperty("values", out var values) && values.ValueKind == JsonValueKind.Array ? values.EnumerateArray() : [];
}
