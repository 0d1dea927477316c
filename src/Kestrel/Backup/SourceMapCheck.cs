using System.Text.Json;

namespace Kestrel.Backup;

/// <summary>
/// Whether a file is a source map Kestrel can use: JSON with <c>"version": 3</c> and a <c>mappings</c>
/// string, or an index map whose <c>sections</c> each hold such a map (ECMA-426).
/// </summary>
public static class SourceMapCheck
{
    /// <summary>Maps are only read here, never shown; depth beyond this is not a source map.</summary>
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 16 };

    /// <returns>null for a valid map, else why it is not one</returns>
    public static string? Problem(ReadOnlyMemory<byte> content)
    {
        // A map may start with the ")]}'" line that stops it being run as a script; readers skip that line.
        if (content.Span.StartsWith(")]}"u8))
        {
            var newline = content.Span.IndexOf((byte)'\n');
            content = newline < 0 ? ReadOnlyMemory<byte>.Empty : content[(newline + 1)..];
        }
        JsonDocument document;
        try { document = JsonDocument.Parse(content, Options); }
        catch (JsonException e) { return $"is not JSON ({e.Message.Split('.')[0]})"; }
        using (document) return Problem(document.RootElement, allowSections: true);
    }

    private static string? Problem(JsonElement map, bool allowSections)
    {
        if (map.ValueKind != JsonValueKind.Object) return "is not a JSON object";
        if (!map.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v) || v != 3)
            return "does not have \"version\": 3";
        if (allowSections && map.TryGetProperty("sections", out var sections))
        {
            if (sections.ValueKind != JsonValueKind.Array) return "has \"sections\" that is not an array";
            var index = 0;
            foreach (var section in sections.EnumerateArray())
            {
                if (section.ValueKind != JsonValueKind.Object || !section.TryGetProperty("offset", out var offset) || offset.ValueKind != JsonValueKind.Object)
                    return $"has section {index} without an offset";
                if (!section.TryGetProperty("map", out var inner)) return $"has section {index} without a map";
                if (Problem(inner, allowSections: false) is { } problem) return $"has section {index} that {problem}";
                index++;
            }
            return null;
        }
        if (!map.TryGetProperty("mappings", out var mappings) || mappings.ValueKind != JsonValueKind.String)
            return "does not have a \"mappings\" string";
        if (map.TryGetProperty("sources", out var sources) && sources.ValueKind != JsonValueKind.Array)
            return "has \"sources\" that is not an array";
        return null;
    }
}
