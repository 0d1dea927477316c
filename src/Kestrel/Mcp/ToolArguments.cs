using System.Globalization;
using System.Text.Json;
using ModelContextProtocol.Protocol;

namespace Kestrel.Mcp;

/// <summary>
/// Checks a call's arguments against the tool's input schema before the SDK binds them, so that a
/// missing, misspelt or mistyped argument gets a sentence naming it (the SDK's own binding failure says
/// only that the call failed). Ranges and formats are the tools' own checks.
/// </summary>
public static class ToolArguments
{
    /// <returns>one sentence naming the first bad argument, or null when the arguments fit the schema</returns>
    public static string? Problem(Tool tool, IDictionary<string, JsonElement>? arguments)
    {
        var schema = tool.InputSchema;
        var properties = schema.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        var names = properties.ValueKind == JsonValueKind.Object ? properties.EnumerateObject().Select(x => x.Name).ToList() : [];
        arguments ??= new Dictionary<string, JsonElement>();

        foreach (var name in arguments.Keys.Order(StringComparer.Ordinal))
            if (!names.Contains(name))
                return $"{Cut(name)} is not an argument of {tool.Name}; it takes " + (names.Count == 0 ? "none." : string.Join(", ", names) + ".");

        if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()).OfType<string>())
                if (!arguments.TryGetValue(name, out var given) || given.ValueKind == JsonValueKind.Null)
                    return $"{name} is required: {Description(properties, name)}";

        foreach (var (name, value) in arguments)
        {
            var types = Types(properties.GetProperty(name));
            if (!Fits(value, types)) return $"{name} must be {Kind(types)}" + (types.Contains("null") ? " or left out." : ".");
        }
        return null;
    }

    private static string Cut(string name) => name.Length <= 50 ? name : name[..49] + "…";

    private static bool Fits(JsonElement value, HashSet<string> types) => value.ValueKind switch
    {
        JsonValueKind.Null => types.Contains("null"),
        JsonValueKind.String => types.Contains("string")
            // Clients (and models) often quote numbers; the SDK reads "12" as 12, so it may pass here.
            || types.Contains("integer") && long.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        JsonValueKind.Number => types.Contains("integer") && value.TryGetInt64(out _) || types.Contains("number"),
        JsonValueKind.True or JsonValueKind.False => types.Contains("boolean"),
        _ => types.Contains("object") && value.ValueKind == JsonValueKind.Object || types.Contains("array") && value.ValueKind == JsonValueKind.Array,
    };

    private static string Kind(HashSet<string> types) =>
        types.Contains("integer") ? "a whole number" : types.Contains("string") ? "a string" : types.Contains("boolean") ? "true or false" : "of type " + string.Join(" or ", types);

    private static HashSet<string> Types(JsonElement property)
    {
        if (!property.TryGetProperty("type", out var type)) return ["string", "integer", "number", "boolean", "object", "array", "null"];
        return type.ValueKind == JsonValueKind.Array
            ? type.EnumerateArray().Select(t => t.GetString()).OfType<string>().ToHashSet()
            : [type.GetString() ?? ""];
    }

    private static string Description(JsonElement properties, string name) =>
        properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(name, out var property)
        && property.TryGetProperty("description", out var description) && description.GetString() is { } text
            ? text
            : "give it a value.";
}
