using System.Collections.Concurrent;

namespace Kestrel.Ingest;

/// <summary>Counters of events accepted and of requests rejected, by reason, since start.</summary>
public sealed class IngestMetrics
{
    private long accepted;
    private readonly ConcurrentDictionary<string, long> rejected = new(StringComparer.Ordinal);

    public long Accepted => Interlocked.Read(ref accepted);
    public IEnumerable<KeyValuePair<string, long>> Rejected => rejected.OrderBy(p => p.Key, StringComparer.Ordinal);

    public void Accept(int events) => Interlocked.Add(ref accepted, events);
    public void Reject(string reason) => rejected.AddOrUpdate(reason, 1, (_, n) => n + 1);
}
