using System.Text.Json;

namespace Kestrel.SourceMaps;

/// <summary>One decoded mapping: a generated column and, unless <see cref="Source"/> is -1, where it came from.</summary>
public readonly record struct Segment(int GeneratedColumn, int Source, int Line, int Column, int Name);

/// <summary>Where a generated position came from. Lines and columns are 0-based, as in the map.</summary>
public readonly record struct OriginalPosition(SourceMap Map, int Source, int Line, int Column, int NameIndex)
{
    public string? SourceName => Map.Sources[Source];
    public string? Name => NameIndex >= 0 ? Map.Names[NameIndex] : null;
    public bool Ignored => Map.IsIgnored(Source);
}

/// <summary>
/// A parsed source map (ECMA-426), or an index map of <see cref="Section"/>s. Mappings are decoded once
/// into one array of segments sorted by generated line and column, so a lookup is two array reads and a
/// binary search within one line. <c>sourcesContent</c> is kept as byte ranges of the original file and
/// decoded only when a frame needs context lines: most of a large map is source text never shown.
/// Instances are immutable apart from that lazily filled cache, so one map serves many threads.
/// </summary>
public sealed class SourceMap
{
    private readonly byte[] raw;
    private readonly (int Start, int Length)[] contentTokens;
    private readonly string[]?[] contentLines;
    private readonly bool[] ignored;
    private readonly int[] lineStarts;   // first segment of each generated line; one extra entry at the end
    private readonly Segment[] segments;
    private readonly Section[]? sections;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int, int, int), string?> scopeNames = new();
    private const int MaxScopeNames = 10_000;

    public readonly record struct Section(int Line, int Column, SourceMap Map);

    internal SourceMap(byte[] raw, string?[] sources, string[] names, (int, int)[] contentTokens, bool[] ignored,
        int[] lineStarts, Segment[] segments, Section[]? sections, string? debugId)
    {
        this.raw = raw;
        Sources = sources;
        Names = names;
        this.contentTokens = contentTokens;
        contentLines = new string[]?[sources.Length];
        this.ignored = ignored;
        this.lineStarts = lineStarts;
        this.segments = segments;
        this.sections = sections;
        DebugId = debugId;
    }

    /// <summary>Parses a map; see <see cref="SourceMapParser"/>.</summary>
    public static SourceMap Parse(byte[] json) => SourceMapParser.Parse(json);

    /// <summary>Sources with <c>sourceRoot</c> applied; entries may be null.</summary>
    public IReadOnlyList<string?> Sources { get; }
    public IReadOnlyList<string> Names { get; }
    /// <summary>The map's <c>debugId</c> (or legacy <c>debug_id</c>), lowercase with dashes, if it has one.</summary>
    public string? DebugId { get; }
    public int SegmentCount => sections?.Sum(s => s.Map.SegmentCount) ?? segments.Length;
    public bool IsIndexMap => sections is not null;

    /// <summary>Roughly what this map holds in memory, for the cache's budget.</summary>
    public long MemoryBytes =>
        raw.Length + (long)segments.Length * 20 + lineStarts.Length * 4L + contentTokens.Length * 8L
        + Names.Sum(n => 24L + n.Length * 2) + Sources.Sum(s => 24L + (s?.Length ?? 0) * 2)
        + (sections?.Sum(s => s.Map.MemoryBytes) ?? 0);

    public bool IsIgnored(int source) => (uint)source < (uint)ignored.Length && ignored[source];

    /// <summary>
    /// The mapping of the generated position (0-based line and column): the segment on that line with the
    /// greatest column not after it. False when the line has none, or that segment maps to no source.
    /// </summary>
    public bool TryFind(int line, int column, out OriginalPosition position)
    {
        if (sections is not null) return TryFindInSection(line, column, out position);
        position = default;
        if ((uint)line >= (uint)(lineStarts.Length - 1) || column < 0) return false;
        var low = lineStarts[line];
        var high = lineStarts[line + 1] - 1;
        if (low > high || segments[low].GeneratedColumn > column) return false;
        while (low < high)
        {
            var middle = (low + high + 1) >>> 1;
            if (segments[middle].GeneratedColumn <= column) low = middle;
            else high = middle - 1;
        }
        ref readonly var segment = ref segments[low];
        if (segment.Source < 0) return false;
        position = new OriginalPosition(this, segment.Source, segment.Line, segment.Column, segment.Name);
        return true;
    }

    private bool TryFindInSection(int line, int column, out OriginalPosition position)
    {
        position = default;
        var all = sections!;
        int low = 0, high = all.Length - 1, found = -1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            var s = all[middle];
            if (s.Line < line || (s.Line == line && s.Column <= column)) { found = middle; low = middle + 1; }
            else high = middle - 1;
        }
        if (found < 0) return false;
        var section = all[found];
        return section.Map.TryFind(line - section.Line, line == section.Line ? column - section.Column : column, out position);
    }

    /// <summary>
    /// The declaration enclosing an original position (<see cref="ScopeNames"/>), remembered per position:
    /// the same errors come back, and reading the source upwards is the slowest part of resolving a frame.
    /// </summary>
    public string? ScopeName(int source, int line, int column)
    {
        if (scopeNames.TryGetValue((source, line, column), out var known)) return known;
        var name = ContentLines(source) is { } lines ? ScopeNames.Find(lines, line, column) : null;
        if (scopeNames.Count < MaxScopeNames) scopeNames[(source, line, column)] = name;
        return name;
    }

    /// <summary>The lines of <c>sourcesContent[source]</c>, or null when the map has no content for it.</summary>
    public string[]? ContentLines(int source)
    {
        if ((uint)source >= (uint)contentTokens.Length) return null;
        var lines = Volatile.Read(ref contentLines[source]);
        if (lines is not null) return lines;
        var (start, length) = contentTokens[source];
        if (length == 0) return null;
        // Re-reading the string token from the kept bytes decodes its escapes; two threads may both do it once.
        var reader = new Utf8JsonReader(raw.AsSpan(start, length));
        reader.Read();
        var text = reader.GetString() ?? "";
        lines = text.Split(["\r\n", "\n", "\r", "\u2028", "\u2029"], StringSplitOptions.None);
        Volatile.Write(ref contentLines[source], lines);
        return lines;
    }
}
