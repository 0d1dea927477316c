using System.Collections.Concurrent;
using Kestrel.Platform;

namespace Kestrel.Ingest;

/// <summary>
/// Events per project per minute, in fixed one-minute windows (KESTREL_RATE_LIMIT_PER_MINUTE; 0 = off).
/// Fixed windows are coarse at the edges but cost one interlocked add per request.
/// </summary>
public sealed class RateLimiter(KestrelOptions options, TimeProvider time)
{
    private sealed class Window { public long Minute; public long Count; }
    private readonly ConcurrentDictionary<long, Window> windows = new();

    /// <returns>null when allowed, else the seconds until the window ends (for Retry-After)</returns>
    public int? TryAcquire(long projectId, int events)
    {
        if (options.RateLimitPerMinute == 0) return null;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var minute = now / 60_000;
        var window = windows.GetOrAdd(projectId, _ => new Window { Minute = minute });
        lock (window)
        {
            if (window.Minute != minute) { window.Minute = minute; window.Count = 0; }
            if (window.Count + events > options.RateLimitPerMinute)
                return (int)Math.Max(1, (minute + 1) * 60 - now / 1000);
            window.Count += events;
            return null;
        }
    }
}
