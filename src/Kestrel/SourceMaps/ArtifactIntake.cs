using System.Text;
using System.Text.Unicode;

namespace Kestrel.SourceMaps;

/// <summary>
/// Checks one uploaded artifact and turns it into what is stored: a map must parse as a v3 source map
/// (or index map); a minified script is kept with its map reference (a <c>Sourcemap</c> header, else its
/// <c>//# sourceMappingURL=</c> comment) and debug ID. A script whose map is inline (<c>data:</c> URL) has
/// that map stored beside it as <c>&lt;file&gt;.map</c>, so every map Kestrel uses is a .map file on disk.
/// </summary>
public static class ArtifactIntake
{
    private static readonly string[] ScriptExtensions = [".js", ".mjs", ".cjs", ".jsbundle", ".bundle"];

    public static bool IsMap(string path) => path.EndsWith(".map", StringComparison.OrdinalIgnoreCase);
    public static bool IsScript(string path) => ScriptExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <param name="relativePath">where below the release directory it goes (already checked)</param>
    /// <param name="kind">a <see cref="SourceFile"/> kind, or null to go by the file name's extension</param>
    /// <param name="headers">artifact headers with lowercase names (sentry-cli's <c>sourcemap</c>, <c>debug-id</c>), if any</param>
    /// <returns>the files to store, or an error sentence naming the file</returns>
    public static (List<NewSourceFile>? Files, string? Error) Take(string relativePath, string url, string? kind, byte[] content,
        IReadOnlyDictionary<string, string>? headers = null)
    {
        kind ??= IsMap(relativePath) ? SourceFile.SourceMapKind : IsScript(relativePath) ? SourceFile.MinifiedKind : null;
        if (kind is null) return (null, $"{relativePath} is neither a source map (.map) nor a script (.js, .mjs, .cjs).");
        var headerDebugId = SourceMapParser.NormaliseDebugId(headers?.GetValueOrDefault("debug-id") ?? headers?.GetValueOrDefault("debug_id"));

        if (kind == SourceFile.SourceMapKind)
        {
            try
            {
                var map = SourceMapParser.Parse(content);
                return ([new NewSourceFile(url, relativePath, kind, content, headerDebugId ?? map.DebugId, null)], null);
            }
            catch (SourceMapException e) { return (null, $"{relativePath} is not a valid source map: {e.Message}"); }
        }

        if (!Utf8.IsValid(content)) return (null, $"{relativePath} is not UTF-8 text.");
        var (comment, commentDebugId) = ReadTrailingComments(content);
        var reference = headers?.GetValueOrDefault("sourcemap") ?? headers?.GetValueOrDefault("x-sourcemap") ?? comment;
        var debugId = headerDebugId ?? commentDebugId;
        var files = new List<NewSourceFile>();
        if (reference is not null && reference.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            if (DecodeDataUrl(reference) is not { } inline) return (null, $"{relativePath} has an inline source map that is not base64 JSON.");
            try { SourceMapParser.Parse(inline); }
            catch (SourceMapException e) { return (null, $"The inline source map of {relativePath} is not valid: {e.Message}"); }
            var mapPath = relativePath + ".map";
            files.Add(new NewSourceFile(url + ".map", mapPath, SourceFile.SourceMapKind, inline, debugId, null));
            reference = mapPath[(mapPath.LastIndexOf('/') + 1)..];
        }
        if (reference is { Length: > 2048 }) reference = null;
        files.Insert(0, new NewSourceFile(url, relativePath, SourceFile.MinifiedKind, content, debugId, reference));
        return (files, null);
    }

    /// <summary>
    /// The map reference and debug ID from the comments at the end of a script, read from the last line up:
    /// blank lines and other <c>//</c> comments may follow them (sentry-cli puts <c>//# debugId=</c> after
    /// <c>//# sourceMappingURL=</c>); the first line of code ends the search.
    /// </summary>
    public static (string? SourceMappingUrl, string? DebugId) ReadTrailingComments(ReadOnlySpan<byte> script)
    {
        string? reference = null, debugId = null;
        var end = script.Length;
        while (end > 0)
        {
            var start = script[..end].LastIndexOf((byte)'\n') + 1;
            var line = script[start..end].Trim(" \t\r"u8);
            end = start - 1;
            if (line.IsEmpty) continue;
            if (!line.StartsWith("//"u8)) break;
            var text = line[2..];
            if (text.StartsWith("# "u8) || text.StartsWith("@ "u8))
            {
                var body = text[2..];
                if (reference is null && body.StartsWith("sourceMappingURL="u8)) reference = Encoding.UTF8.GetString(body["sourceMappingURL="u8.Length..]).Trim();
                else if (debugId is null && body.StartsWith("debugId="u8)) debugId = SourceMapParser.NormaliseDebugId(Encoding.UTF8.GetString(body["debugId="u8.Length..]));
            }
        }
        return (reference is { Length: > 0 } ? reference : null, debugId);
    }

    private static byte[]? DecodeDataUrl(string url)
    {
        var comma = url.IndexOf(',');
        if (comma < 0 || !url[..comma].EndsWith(";base64", StringComparison.OrdinalIgnoreCase)) return null;
        try { return Convert.FromBase64String(url[(comma + 1)..]); }
        catch (FormatException) { return null; }
    }
}
