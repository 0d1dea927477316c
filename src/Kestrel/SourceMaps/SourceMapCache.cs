namespace Kestrel.SourceMaps;

/// <summary>
/// Parsed maps, least recently used evicted first, within a memory budget
/// (<see cref="Platform.KestrelOptions.SourceMapCacheMegabytes"/>). Keys name a file's content (its SHA-256,
/// or path and SHA-1 for files stored before SHA-256 was recorded), so a replaced file is a new key and its old entry simply ages out. A map larger than the whole
/// budget is parsed for the one use and not kept. Two threads missing the same key may both parse it.
/// </summary>
public sealed class SourceMapCache(long budgetBytes)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, SourceMap Map, long Bytes)>> entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, SourceMap Map, long Bytes)> recency = new();
    private long bytes;

    public long Hits;
    public long Misses;
    public long Evictions;

    public long BudgetBytes => budgetBytes;
    public int Count { get { lock (gate) return entries.Count; } }
    public long Bytes { get { lock (gate) return bytes; } }

    /// <summary>The cached map for <paramref name="key"/>, else <paramref name="load"/>'s (kept if it fits); null if that fails.</summary>
    public SourceMap? GetOrLoad(string key, Func<SourceMap?> load)
    {
        lock (gate)
        {
            if (entries.TryGetValue(key, out var node))
            {
                recency.Remove(node);
                recency.AddFirst(node);
                Hits++;
                return node.Value.Map;
            }
            Misses++;
        }
        var map = load();
        if (map is null) return null;
        var size = map.MemoryBytes;
        if (size > budgetBytes) return map;
        lock (gate)
        {
            if (entries.TryGetValue(key, out var existing)) return existing.Value.Map;
            entries[key] = recency.AddFirst((key, map, size));
            bytes += size;
            while (bytes > budgetBytes && recency.Last is { } oldest)
            {
                recency.RemoveLast();
                entries.Remove(oldest.Value.Key);
                bytes -= oldest.Value.Bytes;
                Evictions++;
            }
        }
        return map;
    }
}
