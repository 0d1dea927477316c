using System.Text.Json;

namespace Kestrel.Issues.Pages;

/// <summary>
/// One stack frame as the issue page shows it, read from the stored event in one place. Source-map
/// resolution on display belongs between <see cref="From"/> and rendering: a resolver would map a
/// minified frame to one with the original file, line, function and context lines.
/// </summary>
public sealed record FrameDisplay(string? Function, string? File, string? Module, int? Line, int? Column, bool InApp,
    IReadOnlyList<string> PreContext, string? ContextLine, IReadOnlyList<string> PostContext, IReadOnlyList<KeyValuePair<string, string>> Variables)
{
    public static FrameDisplay From(JsonElement frame) => new(
        JsonText.String(frame, "function"),
        JsonText.String(frame, "filename") ?? JsonText.String(frame, "abs_path"),
        JsonText.String(frame, "module"),
        JsonText.Int(frame, "lineno"),
        JsonText.Int(frame, "colno"),
        frame.TryGetProperty("in_app", out var inApp) && inApp.ValueKind == JsonValueKind.True,
        Lines(frame, "pre_context"),
        JsonText.String(frame, "context_line"),
        Lines(frame, "post_context"),
        JsonText.Pairs(frame, "vars"));

    public bool HasContext => ContextLine is not null;

    private static List<string> Lines(JsonElement frame, string name) =>
        frame.TryGetProperty(name, out var lines) && lines.ValueKind == JsonValueKind.Array
            ? lines.EnumerateArray().Take(50).Select(JsonText.Of).ToList() : [];
}

/// <summary>One exception of the chain, its frames most recent call first.</summary>
public sealed record ExceptionDisplay(string Type, string? Value, string? Module, string? Mechanism, bool? Handled, IReadOnlyList<FrameDisplay> Frames)
{
    /// <summary>The frames exactly as the SDK sent them (minified), kept as <c>raw_stacktrace</c> when source maps resolved some; most recent call first.</summary>
    public IReadOnlyList<FrameDisplay> RawFrames { get; init; } = [];

    /// <summary>
    /// The chain with the raised exception first and its causes after it (the stored order is the reverse).
    /// An event without an exception may still carry a stack in <c>threads</c> (SDKs attach one to
    /// messages): then the crashed or current thread's stack is shown, titled by the thread.
    /// </summary>
    public static List<ExceptionDisplay> Chain(JsonElement root)
    {
        var chain = JsonText.Values(root, "exception").Where(v => v.ValueKind == JsonValueKind.Object).Select(From).Reverse().ToList();
        if (chain.Count > 0) return chain;
        var threads = JsonText.Values(root, "threads").Where(t => t.ValueKind == JsonValueKind.Object && t.TryGetProperty("stacktrace", out _)).ToList();
        var thread = threads.Where(t => IsTrue(t, "crashed")).Concat(threads.Where(t => IsTrue(t, "current"))).Concat(threads).FirstOrDefault();
        if (thread.ValueKind == JsonValueKind.Undefined) return [];
        var name = JsonText.String(thread, "name") ?? JsonText.String(thread, "id");
        return [From(thread) with { Type = name is null ? "Stack trace" : $"Stack trace of thread {name}", Value = null, Mechanism = null, Handled = null }];
    }

    private static bool IsTrue(JsonElement parent, string name) => parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    private static ExceptionDisplay From(JsonElement value)
    {
        var frames = ReadFrames(value, "stacktrace");
        value.TryGetProperty("mechanism", out var mechanism);
        bool? handled = mechanism.ValueKind == JsonValueKind.Object && mechanism.TryGetProperty("handled", out var h) && h.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? h.GetBoolean() : null;
        return new ExceptionDisplay(JsonText.String(value, "type") ?? "Error", JsonText.String(value, "value"), JsonText.String(value, "module"),
            JsonText.String(mechanism, "type"), handled, frames) { RawFrames = ReadFrames(value, "raw_stacktrace") };
    }

    private static List<FrameDisplay> ReadFrames(JsonElement owner, string name) =>
        owner.TryGetProperty(name, out var stack) && stack.ValueKind == JsonValueKind.Object
        && stack.TryGetProperty("frames", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Where(f => f.ValueKind == JsonValueKind.Object).Select(FrameDisplay.From).Reverse().ToList()
            : [];

    /// <summary>
    /// Frames grouped for display: each run of library (not in-app) frames is one folded group. When no
    /// frame is marked in-app, nothing is folded, since then there is nothing better to show.
    /// </summary>
    public IEnumerable<(bool Folded, List<FrameDisplay> Frames)> Groups()
    {
        var fold = Frames.Any(f => f.InApp);
        List<FrameDisplay>? run = null;
        foreach (var frame in Frames)
        {
            var folded = fold && !frame.InApp;
            if (folded)
            {
                (run ??= []).Add(frame);
                continue;
            }
            if (run is not null) { yield return (true, run); run = null; }
            yield return (false, [frame]);
        }
        if (run is not null) yield return (true, run);
    }
}
