using System.Collections.Concurrent;
using Dapper;
using Kestrel.Platform;
using Npgsql;

namespace Kestrel.Ingest;

/// <summary>
/// Events per project per minute (KESTREL_RATE_LIMIT_PER_MINUTE; 0 = off). On SQLite (one node) a token bucket in
/// memory: a project may send a minute's worth at once, and regains the limit / 60 events each second. Unlike fixed
/// windows, it never lets twice the limit through around a minute's edge, and the wait it advises is exactly when
/// enough room returns, so SDKs that honour <c>Retry-After</c> come back at the right time. On PostgreSQL every node
/// shares one count per project (<see cref="SharedWindows"/>), so the limit holds however many nodes take the events.
/// </summary>
public sealed class RateLimiter(KestrelOptions options, TimeProvider time)
{
    private sealed class Bucket { public double Tokens; public long UpdatedMs; }
    private readonly ConcurrentDictionary<long, Bucket> buckets = new();
    private SharedWindows? shared;

    /// <summary>The server's limiter: on PostgreSQL counted across all nodes, on SQLite in memory.</summary>
    public RateLimiter(KestrelOptions options, TimeProvider time, Database database, ILogger<RateLimiter> logger) : this(options, time)
    {
        if (database.Engine == DatabaseEngine.Postgres) shared = new SharedWindows(database, time, logger);
    }

    /// <returns>null when allowed, else the whole seconds until the events would fit (for Retry-After)</returns>
    public int? TryAcquire(long projectId, int events)
    {
        var limit = options.RateLimitPerMinute;
        if (limit == 0) return null;
        if (shared is not null) return shared.TryAcquire(projectId, events, limit);
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
        if (options.RateLimitPerMinute == 0) return;
        if (shared is not null) { shared.Return(projectId, events); return; }
        if (!buckets.TryGetValue(projectId, out var bucket)) return;
        lock (bucket) bucket.Tokens = Math.Min(options.RateLimitPerMinute, bucket.Tokens + events);
    }

    /// <summary>
    /// The limit across nodes on PostgreSQL: a count per project and minute in <c>rate_limit_windows</c>. The last minute's
    /// use is estimated as the current window's count plus the previous window's, weighted by how much of it still lies
    /// within the last 60 s (a sliding window, which like the bucket never lets twice the limit through at a minute's
    /// edge). A node admits small requests from what it last learned plus what it admitted since (<c>Pending</c>), as long
    /// as that pending count stays within a tenth of the room it knows is left (so with less than ten events of room, none)
    /// and its knowledge is under a second old;
    /// past that, it adds the pending count and the request's events to the shared row in one statement that also
    /// returns the other nodes' counts, and takes the events back if that put the project over the limit. Row locks
    /// order the nodes' additions, so two nodes cannot both take the last room; the unsynced part is at most a tenth of
    /// the room per node, so near the limit nodes sync on nearly every request and far from it about once a second.
    /// A refusal never waits for the database: what other nodes admitted only ever adds to the count.
    /// </summary>
    private sealed class SharedWindows(Database database, TimeProvider time, ILogger logger)
    {
        private const long WindowMs = 60_000;
        private const long StaleMs = 1_000;

        private sealed class Window { public long Start = -1, Current, Previous, Pending, SyncedAtMs; }
        private readonly ConcurrentDictionary<long, Window> windows = new();
        private long cleanedAtMs;

        public int? TryAcquire(long projectId, int events, long limit)
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var start = now - now % WindowMs;
            var window = windows.GetOrAdd(projectId, _ => new Window());
            lock (window)
            {
                if (window.Start != start || now - window.SyncedAtMs >= StaleMs) Sync(projectId, window, start, now, 0);
                var used = Used(window, now, start);
                if (used + events > limit) return RetryAfter(window, used + events - limit, events, limit);
                if (window.Pending + events <= (limit - used) / 10 || !Sync(projectId, window, start, now, events))
                {
                    window.Pending += events; // small enough to count later, or the database is away: this node counts alone
                    return null;
                }
                used = Used(window, now, start);
                if (used <= limit) return null;
                GiveBack(projectId, start, events);
                window.Current -= events;
                return RetryAfter(window, used - limit, events, limit);
            }
        }

        public void Return(long projectId, int events)
        {
            if (!windows.TryGetValue(projectId, out var window)) return;
            lock (window) window.Pending -= events;
        }

        private static double Used(Window w, long now, long start) =>
            w.Previous * (1 - (double)(now - start) / WindowMs) + w.Current + w.Pending;

        /// <summary>The previous window's weight falls by its count every minute; that is when room returns.</summary>
        private static int RetryAfter(Window w, double excess, int events, long limit)
        {
            if (events > limit) return 60;
            var perMinute = Math.Max(w.Previous, w.Current);
            return perMinute <= 0 ? 60 : (int)Math.Clamp(Math.Ceiling(Math.Round(excess * 60 / perMinute, 6)), 1, 60);
        }

        /// <summary>
        /// Adds this node's pending count (to the window it was counted in) and <paramref name="events"/> (to the current
        /// one) to the shared rows and reads the current and previous windows, in one statement. If the database does not
        /// answer, the node goes on with what it knows and tries again a second later; ingest itself answers 503 meanwhile.
        /// </summary>
        /// <returns>false when the database did not answer (nothing was added)</returns>
        private bool Sync(long projectId, Window window, long start, long now, int events)
        {
            var added = new Dictionary<long, long>();
            if (window.Pending != 0) added[window.Start] = window.Pending;
            if (events != 0) added[start] = added.GetValueOrDefault(start) + events;
            try
            {
                using var connection = database.Connect();
                var counts = connection.Query<(long Start, long Events)>("""
                    WITH added AS (
                        INSERT INTO rate_limit_windows (project_id, window_start, events)
                        SELECT @projectId, s, n FROM unnest(@starts, @amounts) AS a (s, n)
                        ON CONFLICT (project_id, window_start) DO UPDATE SET events = rate_limit_windows.events + excluded.events
                        RETURNING window_start, events)
                    SELECT window_start, events FROM added
                    UNION ALL
                    SELECT window_start, events FROM rate_limit_windows
                    WHERE project_id = @projectId AND window_start IN (@start, @previous) AND window_start NOT IN (SELECT window_start FROM added)
                    """, new { projectId, starts = added.Keys.ToArray(), amounts = added.Values.ToArray(), start, previous = start - WindowMs }).AsList();
                (window.Start, window.Pending, window.SyncedAtMs) = (start, 0, now);
                window.Current = counts.Where(c => c.Start == start).Sum(c => c.Events);
                window.Previous = counts.Where(c => c.Start == start - WindowMs).Sum(c => c.Events);
                if (now - Interlocked.Read(ref cleanedAtMs) > WindowMs)
                {
                    Interlocked.Exchange(ref cleanedAtMs, now);
                    connection.Execute("DELETE FROM rate_limit_windows WHERE window_start < @before", new { before = start - 2 * WindowMs });
                }
                return true;
            }
            catch (NpgsqlException e)
            {
                window.SyncedAtMs = now;
                if (window.Start != start) (window.Start, window.Previous, window.Current, window.Pending) = (start, window.Current + window.Pending, 0, 0);
                logger.LogWarning("The shared rate-limit count could not be updated; going on with this node's own: {Message}", e.Message);
                return false;
            }
        }

        /// <summary>Takes back events that were added but put the project over its limit, so they are not counted.</summary>
        private void GiveBack(long projectId, long start, int events)
        {
            try
            {
                using var connection = database.Connect();
                connection.Execute("UPDATE rate_limit_windows SET events = events - @events WHERE project_id = @projectId AND window_start = @start",
                    new { projectId, start, events });
            }
            catch (NpgsqlException e) { logger.LogWarning("Refused events could not be taken off the shared rate-limit count: {Message}", e.Message); }
        }
    }
}
