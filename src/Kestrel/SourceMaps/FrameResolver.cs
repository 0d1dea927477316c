using System.Text.Json.Nodes;

namespace Kestrel.SourceMaps;

/// <summary>What a frame's file is, for finding its map: the file as the frame names it, and the debug ID the event gives it.</summary>
public readonly record struct MapRequest(string File, string? DebugId);

/// <summary>A map found for a frame's file, and how (<c>debug-id</c> or <c>release</c>), for the frame's <c>data</c>.</summary>
public sealed record FoundMap(SourceMap Map, string MapUrl, string Method);

/// <summary>
/// Rewrites the JavaScript frames of one event (its JSON tree) to original positions, in place:
/// file, line, column, function and five context lines each side, <c>in_app</c> false for ignore-listed
/// and node_modules sources. The minified frames stay in each exception's <c>raw_stacktrace</c>, and every
/// frame that was looked at says in <c>data</c> which map resolved it or why none did. Frames already
/// resolved are left alone, so running again (on display, after a map arrived) only tries the rest.
/// Every byte is hostile: an event gets at most <see cref="MaxScriptsPerEvent"/> map lookups, each over a
/// bounded path (<see cref="ArtifactPaths.LookupPath"/>), so its cost does not grow with what it holds.
/// </summary>
public static class FrameResolver
{
    public const int ContextLines = 5;

    /// <summary>Most different scripts (file and debug ID) one event may have looked up; frames of further ones stay as sent.</summary>
    public const int MaxScriptsPerEvent = 20;
    private static readonly string TooManyScripts = $"Not looked up: the event names more than {MaxScriptsPerEvent} scripts.";
    private const int MaxContextLineLength = 500;

    /// <returns>true when any frame changed</returns>
    public static bool Resolve(JsonObject root, Func<MapRequest, FoundMap?> findMap, Func<MapRequest, string> whyNoMap)
    {
        var platform = Text(root["platform"]);
        var debugIds = DebugIds(root);
        var maps = new Dictionary<MapRequest, FoundMap?>();
        var changed = false;
        // Exceptions' stack traces, and threads' (a thread's stack may stand in for its exception's).
        foreach (var name in (ReadOnlySpan<string>)["exception", "threads"])
        {
            if (root[name] is not JsonObject list || list["values"] is not JsonArray values) continue;
            foreach (var value in values)
            {
                if (value is not JsonObject owner || owner["stacktrace"] is not JsonObject stacktrace
                    || stacktrace["frames"] is not JsonArray frames) continue;
                changed |= ResolveFrames(owner, stacktrace, frames, platform, debugIds, maps, findMap, whyNoMap);
            }
        }
        return changed;
    }

    /// <param name="owner">the exception value or thread holding the stack trace; it gets the raw frames as <c>raw_stacktrace</c></param>
    private static bool ResolveFrames(JsonObject owner, JsonObject stacktrace, JsonArray frames, string? platform,
        Dictionary<string, string> debugIds, Dictionary<MapRequest, FoundMap?> maps, Func<MapRequest, FoundMap?> findMap, Func<MapRequest, string> whyNoMap)
    {
        // Look everything up first: a frame's function is named from its caller's mapping.
        var found = new OriginalPosition?[frames.Count];
        var foundMaps = new FoundMap?[frames.Count];
        var errors = new string?[frames.Count];
        var any = false;
        for (var i = 0; i < frames.Count; i++)
        {
            if (frames[i] is not JsonObject frame || !IsCandidate(frame, platform)) continue;
            var file = FrameFile(frame)!;
            var request = new MapRequest(file, debugIds.GetValueOrDefault(file));
            if (!maps.TryGetValue(request, out var map))
            {
                if (maps.Count >= MaxScriptsPerEvent) { errors[i] = TooManyScripts; any = true; continue; }
                maps[request] = map = findMap(request);
            }
            if (map is null) { errors[i] = whyNoMap(request); any = true; continue; }
            var line = (int)Number(frame["lineno"])! - 1;
            var column = (int)Number(frame["colno"])! - 1;
            if (map.Map.TryFind(line, column, out var position) && position.SourceName is not null)
            {
                found[i] = position;
                foundMaps[i] = map;
            }
            else errors[i] = $"{map.MapUrl} has no mapping for line {line + 1}, column {column + 1}.";
            any = true;
        }
        if (!any) return false;

        if (owner["raw_stacktrace"] is null && found.Any(f => f is not null))
            owner["raw_stacktrace"] = stacktrace.DeepClone();
        for (var i = 0; i < frames.Count; i++)
        {
            if (frames[i] is not JsonObject frame) continue;
            var data = frame["data"] as JsonObject ?? new JsonObject();
            if (found[i] is not { } position)
            {
                if (errors[i] is { } error) { data["sourcemap_error"] = error; frame["data"] = data; }
                continue;
            }
            Apply(frame, position, FunctionName(position, i > 0 ? found[i - 1] : null));
            data.Remove("sourcemap_error");
            data["sourcemap"] = foundMaps[i]!.MapUrl;
            data["resolved_with"] = foundMaps[i]!.Method;
            frame["data"] = data;
        }
        return true;
    }

    /// <summary>
    /// The name the caller's call site gives this function (the token there is the callee's name), else the
    /// declaration enclosing the position in the original source, else <c>&lt;anonymous&gt;</c>. Never the name
    /// mapped at the position itself: that is what the frame calls (or throws), not the frame's own name.
    /// </summary>
    private static string FunctionName(OriginalPosition position, OriginalPosition? caller)
    {
        if (caller?.Name is { Length: > 0 } called) return called;
        return position.Map.ScopeName(position.Source, position.Line, position.Column) ?? "<anonymous>";
    }

    private static void Apply(JsonObject frame, OriginalPosition position, string function)
    {
        var source = position.SourceName!;
        frame["abs_path"] = source;
        frame["filename"] = ReadableSource(source);
        frame["lineno"] = position.Line + 1;
        frame["colno"] = position.Column + 1;
        frame["function"] = function;
        var inNodeModules = source.Contains("/node_modules/", StringComparison.Ordinal) || source.StartsWith("node_modules/", StringComparison.Ordinal);
        if (position.Ignored || inNodeModules) frame["in_app"] = false;
        else if (frame["in_app"] is null) frame["in_app"] = true;

        frame.Remove("pre_context");
        frame.Remove("context_line");
        frame.Remove("post_context");
        if (position.Map.ContentLines(position.Source) is not { } lines || position.Line >= lines.Length) return;
        var pre = new JsonArray();
        for (var l = Math.Max(0, position.Line - ContextLines); l < position.Line; l++) pre.Add(Cut(lines[l]));
        var post = new JsonArray();
        for (var l = position.Line + 1; l < Math.Min(lines.Length, position.Line + 1 + ContextLines); l++) post.Add(Cut(lines[l]));
        frame["pre_context"] = pre;
        frame["context_line"] = Cut(lines[position.Line]);
        frame["post_context"] = post;
    }

    private static string Cut(string line) => line.Length <= MaxContextLineLength ? line : line[..(MaxContextLineLength - 1)] + "…";

    /// <summary>
    /// A source as people read it: <c>webpack://app/./src/x.js</c> and <c>../src/x.js</c> both become
    /// <c>src/x.js</c>. Only the display name: <c>abs_path</c> keeps the map's own string.
    /// </summary>
    public static string ReadableSource(string source)
    {
        var s = source;
        if (s.StartsWith("webpack://", StringComparison.Ordinal))
        {
            var slash = s.IndexOf('/', "webpack://".Length);
            s = slash < 0 ? s["webpack://".Length..] : s[(slash + 1)..];
        }
        while (true)
        {
            if (s.StartsWith("./", StringComparison.Ordinal)) s = s[2..];
            else if (s.StartsWith("../", StringComparison.Ordinal)) s = s[3..];
            else break;
        }
        return s.Length == 0 ? source : s;
    }

    /// <summary>A frame worth a lookup: a position, a file that is not Node's own, and JavaScript by platform or file name.</summary>
    public static bool IsCandidate(JsonObject frame, string? eventPlatform)
    {
        if (frame["data"] is JsonObject data && data["sourcemap"] is not null) return false; // resolved already
        if (Number(frame["lineno"]) is not >= 1 || Number(frame["colno"]) is not >= 1) return false;
        if (FrameFile(frame) is not { } file || IsRuntimeFile(file)) return false;
        var platform = Text(frame["platform"]) ?? eventPlatform;
        return platform is "javascript" or "node" || LooksLikeScript(file);
    }

    public static bool IsRuntimeFile(string file) =>
        file.StartsWith("node:", StringComparison.Ordinal) || file.StartsWith("internal/", StringComparison.Ordinal)
        || file is "<anonymous>" or "native" or "[native code]";

    public static bool LooksLikeScript(string file)
    {
        var path = ArtifactPaths.UrlPath(file);
        return path.EndsWith(".js", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".mjs", StringComparison.OrdinalIgnoreCase)
            || path.EndsWith(".cjs", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The frame's script: <c>abs_path</c>, else <c>filename</c> (@sentry/node sends absolute paths there).</summary>
    public static string? FrameFile(JsonObject frame) => Text(frame["abs_path"]) is { Length: > 0 } abs ? abs : Text(frame["filename"]) is { Length: > 0 } f ? f : null;

    /// <summary><c>debug_meta.images</c> of type <c>sourcemap</c>: script (as frames name it) to debug ID.</summary>
    private static Dictionary<string, string> DebugIds(JsonObject root)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root["debug_meta"] is not JsonObject meta || meta["images"] is not JsonArray images) return ids;
        foreach (var image in images)
        {
            if (image is not JsonObject o || Text(o["type"]) != "sourcemap") continue;
            if (Text(o["code_file"]) is { } file && SourceMapParser.NormaliseDebugId(Text(o["debug_id"])) is { } id) ids[file] = id;
        }
        return ids;
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : null;

    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number && v.TryGetValue<double>(out var d) && d <= int.MaxValue ? Math.Floor(d) : null;
}
