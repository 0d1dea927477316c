namespace Kestrel.SourceMaps;

/// <summary>
/// Decodes a <c>mappings</c> string into segments grouped by generated line. The generated column is
/// relative to the previous segment on the same line (reset by each <c>;</c>); source, original line,
/// original column and name are relative to their previous values anywhere in the string.
/// </summary>
public static class MappingsDecoder
{
    /// <returns>the first segment of each line (plus one entry past the end) and the segments, sorted by column within each line</returns>
    public static (int[] LineStarts, Segment[] Segments) Decode(ReadOnlySpan<byte> mappings, int sourceCount, int nameCount)
    {
        // Exact upper bounds from two vectorised counts, so nothing is grown or copied while decoding.
        var lineCount = mappings.Count((byte)';') + 1;
        var segments = new Segment[mappings.Count((byte)',') + lineCount];
        var lineStarts = new int[lineCount + 1];

        int line = 0, count = 0, position = 0, length = mappings.Length;
        int column = 0, source = 0, originalLine = 0, originalColumn = 0, name = 0;
        var lineIsSorted = true;
        while (position < length)
        {
            var b = mappings[position];
            if (b == (byte)';')
            {
                if (!lineIsSorted) SortLine(segments, lineStarts[line], count);
                lineIsSorted = true;
                lineStarts[++line] = count;
                column = 0;
                position++;
                continue;
            }
            if (b == (byte)',') { position++; continue; }

            column += Vlq.Decode(mappings, ref position);
            if (column < 0) throw new SourceMapException($"mappings has a negative generated column on line {line + 1}.");
            if (count > lineStarts[line] && segments[count - 1].GeneratedColumn > column) lineIsSorted = false;

            if (AtSegmentEnd(mappings, position))
            {
                segments[count++] = new Segment(column, -1, 0, 0, -1);
                continue;
            }
            source += Vlq.Decode(mappings, ref position);
            if (AtSegmentEnd(mappings, position)) throw new SourceMapException($"mappings has a segment of 2 fields on line {line + 1}; segments have 1, 4 or 5.");
            originalLine += Vlq.Decode(mappings, ref position);
            if (AtSegmentEnd(mappings, position)) throw new SourceMapException($"mappings has a segment of 3 fields on line {line + 1}; segments have 1, 4 or 5.");
            originalColumn += Vlq.Decode(mappings, ref position);
            if ((uint)source >= (uint)sourceCount)
                throw new SourceMapException($"mappings refers to source {source} on line {line + 1}, but the map has {sourceCount} sources.");
            if (originalLine < 0 || originalColumn < 0)
                throw new SourceMapException($"mappings has a negative original position on line {line + 1}.");

            var nameIndex = -1;
            if (!AtSegmentEnd(mappings, position))
            {
                name += Vlq.Decode(mappings, ref position);
                if ((uint)name >= (uint)nameCount)
                    throw new SourceMapException($"mappings refers to name {name} on line {line + 1}, but the map has {nameCount} names.");
                nameIndex = name;
                if (!AtSegmentEnd(mappings, position)) throw new SourceMapException($"mappings has a segment of more than 5 fields on line {line + 1}.");
            }
            segments[count++] = new Segment(column, source, originalLine, originalColumn, nameIndex);
        }
        if (!lineIsSorted) SortLine(segments, lineStarts[line], count);
        lineStarts[line + 1] = count;
        if (line + 2 < lineStarts.Length) throw new InvalidOperationException("Line count mismatch while decoding mappings.");
        return (lineStarts, segments.Length == count ? segments : segments[..count]);
    }

    private static bool AtSegmentEnd(ReadOnlySpan<byte> mappings, int position) =>
        position >= mappings.Length || mappings[position] is (byte)',' or (byte)';';

    /// <summary>Generated columns may go backwards within a line (the spec allows negative deltas); lookups need them sorted.</summary>
    private static void SortLine(Segment[] segments, int start, int end) =>
        segments.AsSpan(start, end - start).Sort(static (a, b) => a.GeneratedColumn.CompareTo(b.GeneratedColumn));
}
