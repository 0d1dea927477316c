using System.Collections.Concurrent;
using Kestrel.Platform;

namespace Kestrel.Ingest;

/// <summary>
/// Events per project per minute (KESTREL_RATE_LIMIT_PER_MINUTE; 0 = off) as a token bucket: a project
/// may send a minute's worth at once, and regains the limit / 60 events each second. Unlike fixed
/// windows, it never lets twice the limit through around a minute's edge, and the wait it advises is
/// exactly when enough room returns, so SDKs that honour <c>Retry-After</c> come back at the right time.
/// </summary>
public sealed class RateLimiter(KestrelOptions options, TimeProvider time)
{
    private sealed class Bucket { public double Tokens; public long UpdatedMs; }
    private readonly ConcurrentDictionary<long, Bucket> buckets = new();

    /// <returns>null when allowed, else the whole seconds until the events would fit (for Retry-After)</returns>
    public int? TryAcquire(long projectId, int events)
    {
        var limit = options.RateLimitPerMinute;
        if (limit == 0) return null;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var bucket = buckets.GetOrAdd(projectId, _ => new Bucket { Tokens = limit, UpdatedMs = now });
        lock (bucket)
        {
            bucket.Tokens = Math.Min(limit, bucket.Tokens + Math.Max(0, now - bucket.UpdatedMs) * (limit / 60_000.0));
            bucket.UpdatedMs = now;
            if (bucket.Tokens >= events)
            {
                bucket.Tokens -= events;
                return null;
            }
            // More events than a whole minute's allowance never fit; a minute is the honest answer.
            if (events > limit) return 60;
            var waitMs = (events - bucket.Tokens) * 60_000.0 / limit;
            return (int)Math.Clamp(Math.Ceiling(waitMs / 1000), 1, 60);
        }
    }

    /// <summary>Gives back what <see cref="TryAcquire"/> took for events that were then not stored (the writer was full).</summary>
    public void Return(long projectId, int events)
    {
        if (options.RateLimitPerMinute == 0 || !buckets.TryGetValue(projectId, out var bucket)) return;
        lock (bucket) bucket.Tokens = Math.Min(options.RateLimitPerMinute, bucket.Tokens + events);
    }
}
