using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Server;

namespace Kestrel.Mcp;

/// <summary>Makes the <see cref="ErrorTools"/> and <see cref="TagTools"/> tools, with output schemas that match what the tools send.</summary>
public static class ToolSchemas
{
    public static IEnumerable<McpServerTool> CreateTools() => Create<ErrorTools>().Concat(Create<TagTools>());

    private static IEnumerable<McpServerTool> Create<TTools>() where TTools : class =>
        typeof(TTools).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(method => method.IsDefined(typeof(McpServerToolAttribute)))
            .Select(method =>
            {
                var tool = McpServerTool.Create(method, context => ActivatorUtilities.CreateInstance<TTools>(context.Services!));
                if (tool.ProtocolTool.OutputSchema is { } schema) tool.ProtocolTool.OutputSchema = NullsOptional(schema);
                return tool;
            });

    /// <summary>
    /// The SDK lists every record property as required, null or not; results leave null fields out to
    /// save tokens. Clients that validate results against the schema (the TypeScript SDK does) would
    /// refuse them, so a property that may be null is taken off its object's required list.
    /// </summary>
    public static JsonElement NullsOptional(JsonElement schema)
    {
        var node = JsonNode.Parse(schema.GetRawText())!;
        Relax(node);
        return JsonSerializer.SerializeToElement(node);
    }

    private static void Relax(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["properties"] is JsonObject properties && obj["required"] is JsonArray required)
                {
                    foreach (var name in required.Select(r => r?.GetValue<string>()).ToList())
                        if (name is not null && MayBeNull(properties[name]))
                            required.Remove(required.First(r => r?.GetValue<string>() == name));
                }
                foreach (var (_, child) in obj.ToList()) Relax(child);
                break;
            case JsonArray array:
                foreach (var child in array) Relax(child);
                break;
        }
    }

    private static bool MayBeNull(JsonNode? property) =>
        property?["type"] is JsonArray types && types.Any(t => t is JsonValue v && v.TryGetValue<string>(out var s) && s == "null");
}
