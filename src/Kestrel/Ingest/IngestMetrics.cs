using System.Collections.Concurrent;

namespace Kestrel.Ingest;

/// <summary>Counters of events accepted and of requests rejected, by reason, since start.</summary>
public sealed class IngestMetrics
{
    private long accepted;
    private long tagsDropped;
    private readonly ConcurrentDictionary<string, long> rejected = new(StringComparer.Ordinal);

    public long Accepted => Interlocked.Read(ref accepted);
    public IEnumerable<KeyValuePair<string, long>> Rejected => rejected.OrderBy(p => p.Key, StringComparer.Ordinal);

    /// <summary>Tags of accepted events dropped for breaking a tag limit (PRODUCT §15).</summary>
    public long TagsDropped => Interlocked.Read(ref tagsDropped);

    public void Accept(int events) => Interlocked.Add(ref accepted, events);
    public void DropTags(int tags) { if (tags > 0) Interlocked.Add(ref tagsDropped, tags); }
    public void Reject(string reason) => rejected.AddOrUpdate(reason, 1, (_, n) => n + 1);
}
