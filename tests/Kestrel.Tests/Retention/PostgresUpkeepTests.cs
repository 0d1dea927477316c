using Dapper;
using Kestrel.Platform;
using Kestrel.Projects;
using Kestrel.Retention;
using Kestrel.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kestrel.Tests.Retention;

/// <summary>
/// PostgreSQL's once-across-nodes work against a real database (PostgresCluster): leases, events partitioned by day
/// (made ahead, a row without its day kept and filed, duplicates stored once) and retention dropping whole days. A "node"
/// is a Database (its own pool) on the shared database, as each Kestrel process has. Events go in with the writer's own
/// statement (Ingest/EventStore.cs: INSERT … ON CONFLICT DO NOTHING), one transaction per batch as the writer makes them:
/// what is tested here is what the database does with it.
/// </summary>
[Trait("Engine", "both")] // picks its engine itself: PostgreSQL
public sealed class PostgresUpkeepTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private readonly ManualClock clock = new(Now);
    private readonly List<DatabaseWriter> writers = [];
    private KestrelOptions options = null!;
    private Database database = null!;
    private long projectId;

    public async Task InitializeAsync()
    {
        options = new KestrelOptions { DatabaseUrl = await PostgresCluster.CreateDatabaseAsync(), RetentionDays = 30, RetentionMaxEventsPerIssue = 0 };
        database = Database.OpenAndMigrate(options);
        await WriterAsync(database);
        projectId = new ProjectStore(database).Create("upkeep", 0).Project.Id;
    }

    public async Task DisposeAsync()
    {
        foreach (var writer in writers)
        {
            await writer.StopAsync(CancellationToken.None);
            writer.Dispose();
        }
    }

    private async Task<DatabaseWriter> WriterAsync(Database on)
    {
        var writer = new DatabaseWriter(on, options, NullLogger<DatabaseWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        writers.Add(writer);
        return writer;
    }

    private const string InsertEventSql = """
        INSERT INTO events (project_id, issue_id, event_id, received_at, occurred_at, level, payload)
        VALUES (@project, @issue, @event_id, @received, @received, 'error', '\x00'::bytea)
        ON CONFLICT DO NOTHING
        """;

    /// <summary>Stores events in one transaction of <paramref name="on"/>; returns how many were new (not resends).</summary>
    private async Task<int> StoreAsync(DateTimeOffset at, Database? on = null, params string[] eventIds)
    {
        await using var connection = (on ?? database).Connect();
        await using var transaction = await connection.BeginTransactionAsync();
        var stored = 0;
        foreach (var id in eventIds)
            stored += await connection.ExecuteAsync(InsertEventSql, new { project = projectId, issue = 1L, event_id = id, received = at.ToUnixTimeMilliseconds() }, transaction);
        await transaction.CommitAsync();
        return stored;
    }

    private static string Id(int n) => n.ToString("x32");

    private T Scalar<T>(string sql, object? parameters = null)
    {
        using var connection = database.Connect();
        return connection.ExecuteScalar<T>(sql, parameters)!;
    }

    /// <summary>Where each stored event is: event_id → the partition (table) that holds it.</summary>
    private Dictionary<string, string> Placement()
    {
        using var connection = database.Connect();
        return connection.Query<(string EventId, string Table)>("SELECT event_id, tableoid::regclass::text FROM events")
            .ToDictionary(r => r.EventId, r => r.Table);
    }

    private PartitionUpkeep Upkeep(Leases? leases = null) =>
        new(new EventPartitions(database), leases ?? new Leases(database), database, clock, NullLogger<PartitionUpkeep>.Instance);

    private static long Day(DateTimeOffset at) => EventPartitions.DayOf(at.ToUnixTimeMilliseconds());

    [Fact]
    public async Task Leases_have_one_holder_which_renews_and_a_dead_holders_lease_is_taken_over_after_it_expires()
    {
        var ttl = TimeSpan.FromSeconds(2);
        var a = new Leases(database) { Ttl = ttl };
        // B's own holds last long: once B has taken the lease over, A must not get it back, however long this machine
        // takes between the two (with B's lease as short as A's, a stall of a second here let A take an expired lease).
        var b = new Leases(new Database(options)) { Ttl = TimeSpan.FromSeconds(60) };
        Assert.NotEqual(a.Node, b.Node);

        Assert.True(a.TryHold("job"));
        Assert.False(b.TryHold("job"));
        Assert.Equal(a.Node, b.Holder("job"));
        Assert.True(b.TryHold("other"), "leases of other names are independent");

        // A keeps renewing past several lifetimes of the lease: B never gets it.
        var renewUntil = DateTime.UtcNow + ttl * 2.5;
        var lastRenewal = DateTime.UtcNow;
        while (DateTime.UtcNow < renewUntil)
        {
            lastRenewal = DateTime.UtcNow; // the lease runs from (at least) here: on a busy machine the delay below can last longer than it
            Assert.True(a.TryHold("job"));
            Assert.False(b.TryHold("job"));
            await Task.Delay(100);
        }

        // A "dies" (stops renewing): B takes over once the lease expires, and A, back, no longer holds it.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!b.TryHold("job"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the dead holder's lease was never taken over");
            await Task.Delay(50);
        }
        var afterRenewal = DateTime.UtcNow - lastRenewal;
        Assert.True(afterRenewal >= ttl - TimeSpan.FromSeconds(1), $"taken over {afterRenewal} after A's last renewal, before the lease expired");
        Assert.Equal(b.Node, a.Holder("job"));
        await Task.Delay(a.Heartbeat); // past A's own trust in its last renewal
        Assert.False(a.TryHold("job"));

        // A holder that stops gracefully releases: the other takes the lease at once.
        b.Release("job");
        Assert.True(a.TryHold("job"));
    }

    [Fact]
    public async Task Nodes_racing_for_a_free_lease_get_exactly_one_holder()
    {
        var nodes = Enumerable.Range(0, 8).Select(_ => new Leases(new Database(options))).ToList();
        using var start = new Barrier(nodes.Count);
        var won = await Task.WhenAll(nodes.Select(n => Task.Run(() => { start.SignalAndWait(); return n.TryHold("race"); })));
        Assert.Single(won, w => w);
        Assert.Equal(nodes[Array.IndexOf(won, true)].Node, nodes[0].Holder("race"));
    }

    [Fact]
    public async Task A_leased_job_runs_on_one_node_while_its_holder_lives_and_moves_to_another_when_the_holder_dies()
    {
        var ttl = TimeSpan.FromSeconds(2);
        var dead = new Leases(database) { Ttl = ttl };
        Assert.True(dead.TryHold("upkeep"));
        var live = new Leases(new Database(options)) { Ttl = ttl };
        var runs = 0;
        using var stop = new CancellationTokenSource();
        var loop = LeasedLoop.RunAsync(live, "upkeep", TimeSpan.Zero, TimeSpan.FromMilliseconds(200), TimeProvider.System,
            _ => { Interlocked.Increment(ref runs); return Task.CompletedTask; }, NullLogger.Instance, stop.Token);

        var renewUntil = DateTime.UtcNow + ttl * 2;
        while (DateTime.UtcNow < renewUntil)
        {
            Assert.True(dead.TryHold("upkeep"));
            await Task.Delay(100);
        }
        Assert.Equal(0, runs); // the holder is alive: the other node only waits

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Volatile.Read(ref runs) < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the job never moved to the live node");
            await Task.Delay(50);
        }
        Assert.Equal(live.Node, dead.Holder("upkeep"));
        await stop.CancelAsync();
        await loop;
        Assert.Null(dead.Holder("upkeep")); // released at stop
    }

    [Fact]
    public async Task Partitions_are_made_ahead_and_an_event_without_its_day_is_stored_at_once_and_filed_by_the_upkeep()
    {
        Assert.Empty(new EventPartitions(database).Days());
        var (made, _) = Upkeep().RunOnce();
        Assert.Equal(EventPartitions.DaysAhead + 1, made);
        Assert.Equal(Enumerable.Range(0, EventPartitions.DaysAhead + 1).Select(d => Day(Now) + d), new EventPartitions(database).Days());
        Assert.Equal((0, 0L), Upkeep().RunOnce()); // nothing more to do

        Assert.Equal(1, await StoreAsync(Now, null, Id(1)));
        var farAhead = Now + TimeSpan.FromDays(40);
        Assert.Equal(1, await StoreAsync(farAhead, null, Id(2))); // no partition for that day: the default partition takes it
        Assert.Equal("event_partitions." + EventPartitions.NameOf(Day(Now)), Placement()[Id(1)]);
        Assert.Equal("event_partitions.events_default", Placement()[Id(2)]);

        Assert.Equal((0, 1L), Upkeep().RunOnce());
        Assert.Equal("event_partitions." + EventPartitions.NameOf(Day(farAhead)), Placement()[Id(2)]);
        Assert.Equal(0, Scalar<long>("SELECT COUNT(*) FROM event_partitions.events_default"));
        Assert.Equal(0, await StoreAsync(farAhead, null, Id(2))); // still one event id, wherever its row went

        // A restore makes the days of its archive first, in its own transaction, so its rows go straight to their days.
        var longAgo = Now - TimeSpan.FromDays(20);
        using (var connection = database.Connect())
        using (var transaction = connection.BeginTransaction())
        {
            EventPartitions.MakeDays(connection, transaction, [Day(longAgo) - 1, Day(longAgo)]);
            transaction.Commit();
        }
        Assert.Equal(1, await StoreAsync(longAgo, null, Id(3)));
        Assert.Equal("event_partitions." + EventPartitions.NameOf(Day(longAgo)), Placement()[Id(3)]);
        Assert.Contains(Day(longAgo) - 1, new EventPartitions(database).Days());
    }

    [Fact]
    public async Task An_event_id_is_stored_once_across_days_and_across_nodes_writing_at_once()
    {
        Upkeep().RunOnce();
        Assert.Equal(1, await StoreAsync(Now, null, Id(1)));
        Assert.Equal(0, await StoreAsync(Now + TimeSpan.FromDays(1), null, Id(1))); // resent the next day: another partition
        Assert.Equal(0, await StoreAsync(Now + TimeSpan.FromDays(60), null, Id(1))); // or the default partition
        Assert.Single(Placement());

        // Three nodes store the same 20 events at the same moment, each in its own transactions, in different orders.
        var nodes = Enumerable.Range(0, 3).Select(_ => new Database(options)).ToList();
        using var start = new Barrier(nodes.Count);
        var stored = await Task.WhenAll(nodes.Select((node, i) => Task.Run(async () =>
        {
            start.SignalAndWait();
            var total = 0;
            foreach (var n in Enumerable.Range(100, 20).OrderBy(n => (n * (i + 1)) % 7))
                total += await StoreAsync(Now, node, Id(n));
            return total;
        })));
        Assert.Equal(20, stored.Sum()); // each event reported new by exactly one node, so counted once
        Assert.Equal(21, Placement().Count);
        Assert.Equal(21, Scalar<long>("SELECT COUNT(*) FROM event_ids"));
    }

    [Fact]
    public async Task Retention_drops_the_days_wholly_older_than_the_cutoff_with_their_event_ids_and_feedback()
    {
        // Cutoff: 30 days before noon, i.e. noon of day C. Days before C go whole; day C stays until it is wholly past.
        await StoreAsync(Now - TimeSpan.FromDays(40), null, Id(1));
        await StoreAsync(Now - TimeSpan.FromDays(31), null, Id(2));
        await StoreAsync(Now - TimeSpan.FromDays(30.4), null, Id(3)); // before the cutoff, but its day is not wholly past
        await StoreAsync(Now - TimeSpan.FromDays(1), null, Id(4));
        using (var connection = database.Connect())
            connection.Execute("""
                INSERT INTO user_feedback (project_id, event_id, name, email, comments, url, received_at)
                VALUES (@projectId, @eventId, 'Ada', '', 'broken', '', 0)
                """, new { projectId, eventId = Id(2) });
        Upkeep().RunOnce(); // files the old events out of the default partition into days of their own
        Assert.Equal(4, new EventPartitions(database).Days().Count(d => d < Day(Now)));

        var job = new RetentionJob(new RetentionStore(database, writers[0]), new EventPartitions(database), new Leases(database), database, options, clock,
            NullLogger<RetentionJob>.Instance);
        var run = await job.RunOnceAsync(CancellationToken.None);

        Assert.Equal(2, run.DaysDropped);
        Assert.Equal(2, run.AgedOut);
        Assert.Equal([Id(3), Id(4)], Placement().Keys.Order());
        Assert.DoesNotContain(new EventPartitions(database).Days(), d => d < Day(Now - TimeSpan.FromDays(30.4)));
        Assert.Equal(2, Scalar<long>("SELECT COUNT(*) FROM event_ids"));
        Assert.Equal(0, Scalar<long>("SELECT COUNT(*) FROM user_feedback"));
        Assert.Equal(0, (await job.RunOnceAsync(CancellationToken.None)).DaysDropped);

        // A dropped event's id is free again: resent, it is stored, as on SQLite once retention deleted it.
        Assert.Equal(1, await StoreAsync(Now, null, Id(1)));
    }
}
