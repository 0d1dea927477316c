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
        JsonElement innermost = default;
        foreach (var frame in frames.EnumerateArray())
        {
            if (!JsonCopier.KeepFrame(index++, count) || frame.ValueKind != JsonValueKind.Object) continue;
            list.Add(ReadFrame(frame, named: false));
            innermost = frame;
        }
        if (list is [.., { InApp: not true }]) list[^1] = ReadFrame(innermost, named: true);
        return list;
    }

    /// <summary>
    /// One pass over the frame's properties: frames are most of an event, and a lookup by name scans
    /// the object each time. A repeated name counts once, the last one, as a lookup would find it.
    /// </summary>
    /// <param name="named">
    /// whether to read the function and module of a frame outside the app; see <see cref="StackFrame"/> for why only the
    /// innermost frame's are read
    /// </param>
    private static StackFrame ReadFrame(JsonElement frame, bool named)
    {
        JsonElement function = default, module = default;
        string? filename = null, absPath = null;
        int? line = null, column = null;
        bool? inApp = null;
        foreach (var property in frame.EnumerateObject())
        {
            var value = property.Value;
            if (property.NameEquals("function"u8)) function = value;
            else if (property.NameEquals("filename"u8)) filename = EventReader.AsString(value);
            else if (property.NameEquals("abs_path"u8)) absPath = EventReader.AsString(value);
            else if (property.NameEquals("module"u8)) module = value;
            else if (property.NameEquals("lineno"u8)) line = EventReader.AsInt(value);
            else if (property.NameEquals("colno"u8)) column = EventReader.AsInt(value);
            else if (property.NameEquals("in_app"u8)) inApp = EventReader.AsBool(value);
        }
        // A default element (the property was absent) reads as null.
        return named || inApp == true
            ? new StackFrame(EventReader.AsString(function), filename, absPath, EventReader.AsString(module), line, column, inApp)
            : new StackFrame(null, filename, absPath, null, line, column, inApp);
    }
}
