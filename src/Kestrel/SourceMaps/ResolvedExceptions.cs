using System.Text.Json;
using System.Text.Json.Nodes;
using Kestrel.Ingest;

namespace Kestrel.SourceMaps;

/// <summary>
/// <see cref="ExceptionReader"/> over a JSON tree the resolver has just changed, so grouping sees the resolved
/// frames without the event being written out and parsed again (half the cost of resolving at ingest). The
/// same rules, reading each value with <see cref="EventReader"/>'s own conversions; a test holds the two equal.
/// </summary>
public static class ResolvedExceptions
{
    public static IReadOnlyList<ExceptionValue> Read(JsonObject root)
    {
        if (root["exception"] is not { } exception || Values(exception) is not { } values) return [];
        var list = new List<ExceptionValue>();
        foreach (var value in values)
        {
            if (value is not JsonObject o) continue;
            var type = AsString(o["type"]);
            var text = AsString(o["value"]);
            if (type is null && text is null) continue;
            var synthetic = o["mechanism"] is JsonObject mechanism && AsBool(mechanism["synthetic"]) == true;
            var frames = ReadFrames(o, out var scripts);
            list.Add(new ExceptionValue(type, text, AsString(o["module"]), synthetic, frames) { Scripts = scripts });
        }
        return list.Count > IngestLimits.MaxExceptions ? list[^IngestLimits.MaxExceptions..] : list;
    }

    private static IReadOnlyList<StackFrame> ReadFrames(JsonObject exception, out FrameScripts scripts)
    {
        scripts = FrameScripts.None;
        if (exception["stacktrace"] is not JsonObject stacktrace || stacktrace["frames"] is not JsonArray frames) return [];
        var list = new List<StackFrame>();
        JsonObject? innermost = null;
        for (var i = 0; i < frames.Count; i++)
        {
            if (!JsonCopier.KeepFrame(i, frames.Count) || frames[i] is not JsonObject f) continue;
            scripts = FrameScriptRule.Most(scripts, ScriptsOf(f));
            if (AsBool(f["in_app"]) == true) list.Add(ReadFrame(f));
            innermost = f;
        }
        if (innermost is not null && AsBool(innermost["in_app"]) != true) list.Add(ReadFrame(innermost));
        return list;
    }

    /// <summary>A frame <see cref="ExceptionReader"/> keeps (an in-app one or the innermost), read the same way.</summary>
    private static StackFrame ReadFrame(JsonObject f) =>
        new(AsString(f["function"]), AsString(f["filename"]) ?? AsString(f["abs_path"]) ?? AsString(f["module"]), AsBool(f["in_app"]));

    private static FrameScripts ScriptsOf(JsonObject f) => FrameScriptRule.Of(AsInt(f["lineno"]), AsInt(f["colno"]), f,
        static f => FrameResolver.LooksLikeScript(AsString(f["abs_path"]) ?? AsString(f["filename"]) ?? ""));

    private static IEnumerable<JsonNode?>? Values(JsonNode node) =>
        node is JsonArray array ? array : node is JsonObject o && o["values"] is JsonArray inner ? inner : null;

    // Values parsed from the payload carry their JsonElement and go through EventReader itself; the few the
    // resolver set (strings, whole numbers, booleans) are read by kind the same way.
    private static string? AsString(JsonNode? node) => node is not JsonValue v ? null
        : v.TryGetValue<JsonElement>(out var e) ? EventReader.AsString(e)
        : v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.Number => v.ToJsonString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };

    private static int? AsInt(JsonNode? node) => node is not JsonValue v ? null
        : v.TryGetValue<JsonElement>(out var e) ? EventReader.AsInt(e)
        : v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) ? n : null;

    private static bool? AsBool(JsonNode? node) => node is not JsonValue v ? null
        : v.TryGetValue<JsonElement>(out var e) ? EventReader.AsBool(e)
        : v.GetValueKind() switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null };
}
