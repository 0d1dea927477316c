using System.Runtime.InteropServices;
using System.Text.Json;
using Kestrel.SourceMaps;

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
            var frames = ReadFrames(value, out var scripts);
            list.Add(new ExceptionValue(type, text, EventReader.String(value, "module"), synthetic, frames) { Scripts = scripts });
        }
        return list.Count > IngestLimits.MaxExceptions ? list[^IngestLimits.MaxExceptions..] : list;
    }

    private static IReadOnlyList<StackFrame> ReadFrames(JsonElement exception, out FrameScripts scripts)
    {
        scripts = FrameScripts.None;
        if (!exception.TryGetProperty("stacktrace", out var stacktrace) || stacktrace.ValueKind != JsonValueKind.Object
            || !stacktrace.TryGetProperty("frames", out var frames) || frames.ValueKind != JsonValueKind.Array)
            return [];
        var count = frames.GetArrayLength();
        List<StackFrame>? list = null;
        FrameFields innermost = default;
        var any = false;
        var index = 0;
        foreach (var frame in frames.EnumerateArray())
        {
            if (!JsonCopier.KeepFrame(index++, count) || frame.ValueKind != JsonValueKind.Object) continue;
            var fields = FrameFields.Read(frame);
            if (scripts != FrameScripts.PositionedInScriptFile) scripts = FrameScriptRule.Most(scripts, fields.Scripts());
            if (fields.InApp == true) (list ??= []).Add(fields.ToFrame());
            innermost = fields;
            any = true;
        }
        if (any && innermost.InApp != true) (list ??= []).Add(innermost.ToFrame());
        return list ?? (IReadOnlyList<StackFrame>)[];
    }

    /// <summary>
    /// A frame's fields as found, read in one pass over its properties: frames are most of an event, and a lookup by name
    /// scans the object each time. A repeated name counts once, the last one, as a lookup would find it. Texts stay
    /// elements until a frame is kept (<see cref="ToFrame"/>), so a library frame costs no string.
    /// </summary>
    private struct FrameFields
    {
        private JsonElement function, module, filename, absPath;
        public int? Line, Column;
        public bool? InApp;

        public static FrameFields Read(JsonElement frame)
        {
            var f = new FrameFields();
            foreach (var property in frame.EnumerateObject())
            {
                var value = property.Value;
                if (property.NameEquals("function"u8)) f.function = value;
                else if (property.NameEquals("filename"u8)) f.filename = value;
                else if (property.NameEquals("abs_path"u8)) f.absPath = value;
                else if (property.NameEquals("module"u8)) f.module = value;
                else if (property.NameEquals("lineno"u8)) f.Line = EventReader.AsInt(value);
                else if (property.NameEquals("colno"u8)) f.Column = EventReader.AsInt(value);
                else if (property.NameEquals("in_app"u8)) f.InApp = EventReader.AsBool(value);
            }
            return f;
        }

        // A default element (the property was absent) reads as null.
        public readonly StackFrame ToFrame() =>
            new(EventReader.AsString(function), EventReader.AsString(EventReader.IsText(filename) ? filename : EventReader.IsText(absPath) ? absPath : module), InApp);

        public readonly FrameScripts Scripts() =>
            FrameScriptRule.Of(Line, Column, EventReader.IsText(absPath) ? absPath : filename, static file => LooksLikeScript(file));

        /// <summary>
        /// <see cref="FrameResolver.LooksLikeScript"/> on the file's text (<c>abs_path</c>, else <c>filename</c>, as
        /// <see cref="EventReader.AsString"/> reads them). A script's name ends in "js" in some case, so a text with
        /// neither that nor an escape in its raw bytes is not one, and is never made a string.
        /// </summary>
        private static bool LooksLikeScript(JsonElement file)
        {
            if (file.ValueKind != JsonValueKind.String) return false; // a number or a boolean ends in no ".js"
            var raw = JsonMarshal.GetRawUtf8Value(file);
            return (raw.Contains((byte)'\\') || MayEndInJs(raw)) && FrameResolver.LooksLikeScript(file.GetString()!);
        }

        private static bool MayEndInJs(ReadOnlySpan<byte> raw)
        {
            for (var i = 0; i + 1 < raw.Length; i++)
            {
                if ((raw[i] | 0x20) == 'j' && (raw[i + 1] | 0x20) == 's') return true;
            }
            return false;
        }
    }
}
