using System.Text.Json;

namespace Kestrel.Ingest;

/// <summary>Reads <c>exception</c> (list or <c>{values}</c>) into <see cref="ExceptionValue"/>s, oldest first.</summary>
public static class ExceptionReader
{
    public static IReadOnlyList<ExceptionValue> Read(JsonElement root)
    {
        if (!root.TryGetProperty("exception", out var exception) || EventReader.Values(exception) is not { } values) return [];
        var list = new List<ExceptionValue>();
        foreach (var value in values)
        {
            if (value.ValueKind != JsonValueKind.Object) continue;
            var type = EventReader.String(value, "type");
            var text = EventReader.String(value, "value");
            if (type is null && text is null) continue;
            var synthetic = value.TryGetProperty("mechanism", out var mechanism) && mechanism.ValueKind == JsonValueKind.Object
                && EventReader.Bool(mechanism, "synthetic") == true;
            list.Add(new ExceptionValue(type, text, EventReader.String(value, "module"), synthetic, ReadFrames(value)));
        }
        return list.Count > IngestLimits.MaxExceptions ? list[^IngestLimits.MaxExceptions..] : list;
    }

    private static IReadOnlyList<StackFrame> ReadFrames(JsonElement exception)
    {
        if (!exception.TryGetProperty("stacktrace", out var stacktrace) || stacktrace.ValueKind != JsonValueKind.Object
            || !stacktrace.TryGetProperty("frames", out var frames) || frames.ValueKind != JsonValueKind.Array)
            return [];
        var count = frames.GetArrayLength();
        var list = new List<StackFrame>(Math.Min(count, IngestLimits.MaxFrames));
        var index = 0;
        foreach (var frame in frames.EnumerateArray())
        {
            if (JsonCopier.KeepFrame(index++, count) && frame.ValueKind == JsonValueKind.Object)
                list.Add(new StackFrame(
                    EventReader.String(frame, "function"),
                    EventReader.String(frame, "filename"),
                    EventReader.String(frame, "abs_path"),
                    EventReader.String(frame, "module"),
                    EventReader.Int(frame, "lineno"),
                    EventReader.Int(frame, "colno"),
                    EventReader.Bool(frame, "in_app")));
        }
        return list;
    }
}
