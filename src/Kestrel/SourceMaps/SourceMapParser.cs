using System.Text.Json;

namespace Kestrel.SourceMaps;

/// <summary>
/// Reads a source map or index map from its UTF-8 bytes in one pass of <see cref="Utf8JsonReader"/>,
/// checking everything a lookup later relies on (indices in range, no negative positions), so a stored
/// map can never make resolution throw. Unknown fields are skipped, as the spec asks.
/// </summary>
public static class SourceMapParser
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 16, CommentHandling = JsonCommentHandling.Skip };

    /// <exception cref="SourceMapException">the bytes are not a usable v3 source map</exception>
    public static SourceMap Parse(byte[] json)
    {
        var start = BodyStart(json);
        var reader = new Utf8JsonReader(json.AsSpan(start), ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new SourceMapException("A source map must be a JSON object.");
            var map = ReadMap(ref reader, json, start, allowSections: true);
            if (reader.Read()) throw new SourceMapException("A source map must hold one JSON object and nothing after it.");
            return map;
        }
        catch (JsonException e)
        {
            throw new SourceMapException($"The source map is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }
        // The reader checks UTF-8 only when a string is decoded, and "\ud800" decodes to nothing: both throw
        // this (found by the fuzz tests).
        catch (InvalidOperationException)
        {
            throw new SourceMapException("The source map holds a string that is not valid UTF-8 or Unicode text.");
        }
    }

    /// <summary>Skips a UTF-8 byte order mark and the <c>)]}'</c> line some servers put first against XSSI.</summary>
    private static int BodyStart(byte[] json)
    {
        var start = json.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        if (json.AsSpan(start).StartsWith(")]}'"u8))
        {
            var newline = json.AsSpan(start).IndexOf((byte)'\n');
            start = newline < 0 ? json.Length : start + newline + 1;
        }
        return start;
    }

    private static SourceMap ReadMap(ref Utf8JsonReader reader, byte[] raw, int offset, bool allowSections)
    {
        int? version = null;
        string? sourceRoot = null, debugId = null, legacyDebugId = null;
        List<string?>? sources = null;
        List<string>? names = null;
        List<(int, int)>? content = null;
        List<int>? ignoreList = null, legacyIgnoreList = null;
        byte[]? escapedMappings = null;
        (int Start, int Length)? mappings = null;
        List<SourceMap.Section>? sections = null;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "version":
                    version = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var v) ? v : -1;
                    break;
                case "sources":
                    sources = ReadStrings(ref reader, "sources", allowNull: true);
                    break;
                case "names":
                    names = ReadStrings(ref reader, "names", allowNull: false)!;
                    break;
                case "sourceRoot":
                    sourceRoot = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    break;
                case "sourcesContent":
                    content = ReadContentTokens(ref reader, offset);
                    break;
                case "ignoreList":
                    ignoreList = ReadIndices(ref reader, name);
                    break;
                case "x_google_ignoreList":
                    legacyIgnoreList = ReadIndices(ref reader, name);
                    break;
                case "debugId":
                    debugId = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    break;
                case "debug_id":
                    legacyDebugId = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    break;
                case "mappings":
                    if (reader.TokenType != JsonTokenType.String) throw new SourceMapException("mappings must be a string.");
                    if (reader.ValueIsEscaped) escapedMappings = System.Text.Encoding.UTF8.GetBytes(reader.GetString()!);
                    else mappings = (offset + (int)reader.TokenStartIndex + 1, reader.ValueSpan.Length);
                    break;
                case "sections":
                    if (!allowSections) throw new SourceMapException("A section of an index map may not hold sections itself.");
                    sections = ReadSections(ref reader, raw, offset);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (version != 3) throw new SourceMapException("Only version 3 source maps are supported; this one has no \"version\": 3.");
        if (sections is not null)
            return new SourceMap(raw, [], [], [], [], [0], [], [.. sections], NormaliseDebugId(debugId ?? legacyDebugId));
        if (sources is null) throw new SourceMapException("The source map has no \"sources\" list.");
        if (mappings is null && escapedMappings is null) throw new SourceMapException("The source map has neither \"mappings\" nor \"sections\".");

        if (!string.IsNullOrEmpty(sourceRoot))
        {
            var root = sourceRoot.EndsWith('/') ? sourceRoot : sourceRoot + "/";
            for (var i = 0; i < sources.Count; i++) if (sources[i] is { } s) sources[i] = root + s;
        }
        names ??= [];
        var mappingBytes = escapedMappings is not null ? escapedMappings.AsSpan() : raw.AsSpan(mappings!.Value.Start, mappings.Value.Length);
        var (lineStarts, segments) = MappingsDecoder.Decode(mappingBytes, sources.Count, names.Count);

        var ignored = new bool[sources.Count];
        foreach (var index in ignoreList ?? legacyIgnoreList ?? [])
        {
            if ((uint)index >= (uint)sources.Count) throw new SourceMapException($"ignoreList names source {index}, but the map has {sources.Count} sources.");
            ignored[index] = true;
        }
        var tokens = new (int, int)[sources.Count];
        if (content is not null) for (var i = 0; i < Math.Min(content.Count, tokens.Length); i++) tokens[i] = content[i];
        return new SourceMap(raw, [.. sources], [.. names], tokens, ignored, lineStarts, segments, null, NormaliseDebugId(debugId ?? legacyDebugId));
    }

    private static List<string?> ReadStrings(ref Utf8JsonReader reader, string field, bool allowNull)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new SourceMapException($"{field} must be a list.");
        var list = new List<string?>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String) list.Add(reader.GetString());
            else if (reader.TokenType == JsonTokenType.Null && allowNull) list.Add(null);
            else throw new SourceMapException($"{field} must hold only strings.");
        }
        return list;
    }

    /// <summary>Where each <c>sourcesContent</c> string token sits in the file, quotes included; (0, 0) for null.</summary>
    private static List<(int, int)> ReadContentTokens(ref Utf8JsonReader reader, int offset)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new SourceMapException("sourcesContent must be a list.");
        var list = new List<(int, int)>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                var start = (int)reader.TokenStartIndex;
                list.Add((offset + start, (int)reader.BytesConsumed - start));
            }
            else if (reader.TokenType == JsonTokenType.Null) list.Add((0, 0));
            else throw new SourceMapException("sourcesContent must hold only strings and nulls.");
        }
        return list;
    }

    private static List<int> ReadIndices(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new SourceMapException($"{field} must be a list of source indices.");
        var list = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var index))
                throw new SourceMapException($"{field} must be a list of source indices.");
            list.Add(index);
        }
        return list;
    }

    private static List<SourceMap.Section> ReadSections(ref Utf8JsonReader reader, byte[] raw, int offset)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new SourceMapException("sections must be a list.");
        var list = new List<SourceMap.Section>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject) throw new SourceMapException("Each section must be an object with offset and map.");
            int? line = null, column = null;
            SourceMap? map = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                if (name == "offset") (line, column) = ReadOffset(ref reader);
                else if (name == "map")
                {
                    if (reader.TokenType != JsonTokenType.StartObject) throw new SourceMapException("A section's map must be a source map object.");
                    map = ReadMap(ref reader, raw, offset, allowSections: false);
                }
                else if (name == "url") throw new SourceMapException("Sections that point to a url instead of holding a map are not supported.");
                else reader.Skip();
            }
            if (line is null || column is null || map is null) throw new SourceMapException("Each section needs an offset {line, column} and a map.");
            if (list.Count > 0 && (list[^1].Line > line || (list[^1].Line == line && list[^1].Column > column)))
                throw new SourceMapException("Sections must be in order of their offsets.");
            list.Add(new SourceMap.Section(line.Value, column.Value, map));
        }
        return list;
    }

    private static (int?, int?) ReadOffset(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new SourceMapException("A section's offset must be {line, column}.");
        int? line = null, column = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            int? value = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n) && n >= 0 ? n : null;
            if (name == "line") line = value ?? throw new SourceMapException("A section's offset line must be a whole number.");
            else if (name == "column") column = value ?? throw new SourceMapException("A section's offset column must be a whole number.");
            else reader.Skip();
        }
        return (line, column);
    }

    /// <summary>Debug IDs in lowercase 8-4-4-4-12 form; the 32-hex form is accepted too. Anything else is no ID.</summary>
    public static string? NormaliseDebugId(string? id) =>
        id is not null && Guid.TryParse(id.Trim(), out var guid) ? guid.ToString("D") : null;
}
