using Dapper;
using Kestrel.Ingest;
using Kestrel.Platform;
using Kestrel.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Kestrel.Tests.Sentry;

/// <summary>
/// The per-project limit on PostgreSQL, held across nodes: each "node" here is its own <see cref="RateLimiter"/> (as each
/// server process has one) on one real PostgreSQL database, on a clock the test moves.
/// </summary>
[Trait("Engine", "both")] // PostgreSQL by nature, on databases it makes itself
public sealed class SharedRateLimitTests
{
    private static async Task<(Func<RateLimiter> Node, ManualClock Clock, string Url)> CreateAsync(int perMinute)
    {
        var url = await PostgresCluster.CreateDatabaseAsync();
        var options = new KestrelOptions { DatabaseUrl = url, RateLimitPerMinute = perMinute };
        Database.OpenAndMigrate(options);
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 27, 12, 0, 30, TimeSpan.Zero));
        return (() => new RateLimiter(options, clock, new Database(options), NullLogger<RateLimiter>.Instance), clock, url);
    }

    [Fact]
    public async Task Three_nodes_taking_turns_admit_the_limit_once_not_once_each()
    {
        var (node, clock, _) = await CreateAsync(600);
        RateLimiter[] nodes = [node(), node(), node()];
        var admitted = 0;
        for (var i = 0; i < 3000; i++)
            if (nodes[i % 3].TryAcquire(1, 1) is null) admitted++;
        Assert.InRange(admitted, 540, 660); // within 10 %; each node alone would have admitted 600
        // Another project has its own count.
        Assert.Null(nodes[0].TryAcquire(2, 600));

        // Refused with an honest wait; half a minute later the previous window weighs half, so room has returned.
        Assert.InRange(nodes[1].TryAcquire(1, 10) ?? 0, 1, 60);
        clock.Now += TimeSpan.FromSeconds(60);
        var later = 0;
        for (var i = 0; i < 3000; i++)
            if (nodes[i % 3].TryAcquire(1, 1) is null) later++;
        Assert.InRange(later, 270, 330); // 600 used in the previous minute, weighted 1/2 at hh:01:30
    }

    [Fact]
    public async Task Nodes_admitting_concurrently_hold_the_limit_and_the_database_holds_the_count()
    {
        var (node, _, url) = await CreateAsync(3000);
        RateLimiter[] nodes = [node(), node()];
        var admitted = 0;
        await Parallel.ForAsync(0, 8, async (worker, _) =>
        {
            await Task.Yield();
            for (var i = 0; i < 400; i++)
                if (nodes[worker % 2].TryAcquire(7, 5) is null) Interlocked.Add(ref admitted, 5);
        });
        Assert.InRange(admitted, 2700, 3300);
        // Nothing admitted is left uncounted once the nodes next sync: a refusal costs no write, and the row holds the rest.
        await using var connection = new NpgsqlConnection(PostgresUrl.ToConnectionString(url));
        var stored = await connection.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(events), 0) FROM rate_limit_windows WHERE project_id = 7");
        Assert.InRange(stored, admitted - 2 * 300, admitted); // each node's unsynced part is at most a tenth of the room
    }

    [Fact]
    public async Task A_small_limit_advises_the_same_wait_as_on_SQLite()
    {
        var (node, _, _) = await CreateAsync(2);
        var a = node();
        Assert.Null(a.TryAcquire(1, 1));
        Assert.Null(node().TryAcquire(1, 1));
        Assert.Equal(30, a.TryAcquire(1, 1)); // two a minute: one more in 30 s
        Assert.Equal(60, a.TryAcquire(1, 3)); // more than a minute's worth never fits
    }

    [Fact]
    public async Task Events_given_back_are_not_counted()
    {
        var (node, _, _) = await CreateAsync(100);
        var a = node();
        var b = node();
        Assert.Null(a.TryAcquire(1, 5)); // small: counted locally
        a.Return(1, 5); // the writer was full: nothing stored, nothing counted
        Assert.Null(b.TryAcquire(1, 100)); // the whole minute at once: added to the shared count at once
        // a last learned of an empty window, so it may admit a tenth of the room unsynced; more, and it syncs and sees b's 100.
        Assert.NotNull(a.TryAcquire(1, 20));
        Assert.NotNull(b.TryAcquire(1, 1));
    }
}
