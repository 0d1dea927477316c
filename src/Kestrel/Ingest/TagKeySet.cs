using System.Text;

namespace Kestrel.Ingest;

/// <summary>
/// The distinct tag keys of one event as UTF-8, in one buffer reused for every event of a thread: the normaliser
/// drops a repeated key without making a string for each key. Events hold at most <see cref="IngestLimits.MaxTags"/>
/// tags, so a linear search is cheaper than hashing.
/// </summary>
public sealed class TagKeySet
{
    private byte[] bytes = new byte[2048];
    private readonly int[] ends = new int[IngestLimits.MaxTags];

    public int Count { get; private set; }

    /// <summary>The key added last.</summary>
    public ReadOnlySpan<byte> Last => Key(Count - 1);

    public void Clear() => Count = 0;

    /// <summary>Adds the key unless it is there already, or the set is full; true when added.</summary>
    public bool TryAdd(ReadOnlySpan<byte> key)
    {
        if (Count == ends.Length) return false;
        for (var i = 0; i < Count; i++)
        {
            if (Key(i).SequenceEqual(key)) return false;
        }
        var start = Count == 0 ? 0 : ends[Count - 1];
        if (start + key.Length > bytes.Length) Array.Resize(ref bytes, Math.Max(bytes.Length * 2, start + key.Length));
        key.CopyTo(bytes.AsSpan(start));
        ends[Count++] = start + key.Length;
        return true;
    }

    /// <inheritdoc cref="TryAdd(ReadOnlySpan{byte})"/>
    public bool TryAdd(string key)
    {
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(IngestLimits.MaxTagLength)];
        return key.Length <= IngestLimits.MaxTagLength ? TryAdd(utf8[..Encoding.UTF8.GetBytes(key, utf8)]) : TryAdd(Encoding.UTF8.GetBytes(key));
    }

    private ReadOnlySpan<byte> Key(int index)
    {
        var start = index == 0 ? 0 : ends[index - 1];
        return bytes.AsSpan(start, ends[index] - start);
    }
}
