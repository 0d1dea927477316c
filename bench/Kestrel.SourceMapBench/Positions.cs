using Kestrel.SourceMaps;

namespace Kestrel.SourceMapBench;

/// <summary>Generated positions spread evenly over the bundle's characters (0-based line and UTF-16 column), from a fixed seed.</summary>
public sealed class Positions(int[] pairs)
{
    public int Count => pairs.Length / 2;
    public (int Line, int Column) this[int i] => (pairs[2 * i], pairs[2 * i + 1]);

    public static Positions Random(string script, int count, int seed)
    {
        var lines = script.Split('\n');
        var starts = new long[lines.Length + 1];
        for (var i = 0; i < lines.Length; i++) starts[i + 1] = starts[i] + lines[i].Length + 1;
        var random = new Random(seed);
        var pairs = new int[count * 2];
        for (var i = 0; i < count; i++)
        {
            var offset = random.NextInt64(starts[^1] - 1);
            var line = Array.BinarySearch(starts, offset);
            if (line < 0) line = ~line - 1;
            pairs[2 * i] = line;
            pairs[2 * i + 1] = (int)(offset - starts[line]);
        }
        return new Positions(pairs);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[pairs.Length * 4];
        Buffer.BlockCopy(pairs, 0, bytes, 0, bytes.Length); // little-endian on every machine this runs on
        return bytes;
    }

    /// <returns>how many positions map to a source, and the sum of their 1-based original lines (to compare answers)</returns>
    public (long Mapped, long LineSum) LookUpAll(SourceMap map)
    {
        long mapped = 0, lineSum = 0;
        for (var i = 0; i < pairs.Length; i += 2)
        {
            if (map.TryFind(pairs[i], pairs[i + 1], out var position) && position.SourceName is not null)
            {
                mapped++;
                lineSum += position.Line + 1;
            }
        }
        return (mapped, lineSum);
    }
}
