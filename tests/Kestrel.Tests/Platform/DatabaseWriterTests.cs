using System.Text.Json;
using Dapper;
using Kestrel.Ingest;
using Kestrel.Platform;
using Kestrel.Projects;
using Kestrel.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kestrel.Tests.Platform;

/// <summary>
/// The writer against a real database of each engine (<see cref="DatabaseWriterOnSqliteTests"/>,
/// <see cref="DatabaseWriterOnPostgresTests"/>). Jobs are queued before the writer starts, so they are
/// certain to share one batch: that is how the failure path (roll back, then one job per
/// transaction) is reached without timing.
/// </summary>
public abstract class DatabaseWriterTests(string engine) : IAsyncLifetime
{
    protected readonly TempDirectory directory = new();
    protected KestrelOptions options = null!;
    protected Database database = null!;
    protected DatabaseWriter writer = null!;
    protected EventStore store = null!;
    protected long projectId;

    public async Task InitializeAsync()
    {
        options = new KestrelOptions
        {
            DataDirectory = directory.Path,
            DatabaseUrl = engine == Engines.Postgres ? await PostgresCluster.CreateDatabaseAsync() : null,
        };
        database = Database.OpenAndMigrate(options);
        writer = new DatabaseWriter(database, options, NullLogger<DatabaseWriter>.Instance);
        store = new EventStore(writer);
        projectId = new ProjectStore(database).Create("writer", 0).Project.Id;
    }

    public async Task DisposeAsync()
    {
        await writer.StopAsync(CancellationToken.None);
        writer.Dispose();
        directory.Dispose();
    }

    protected static NormalisedEvent Normalise(string type, string eventId)
    {
        using var document = JsonDocument.Parse($"{{\"event_id\":\"{eventId}\",{Events.Exception(type, "boom")[1..]}");
        return EventNormaliser.Normalise(document.RootElement, DateTimeOffset.UnixEpoch.AddDays(20_000));
    }

    protected static PreparedEvent Error(string type, string eventId) => PreparedEvent.From(Normalise(type, eventId));

    protected static string Id(int n) => n.ToString("x32");

    protected Task<string[]> Store(params PreparedEvent[] events) => store.StoreAsync(projectId, events, 1_728_000_000_000, CancellationToken.None);

    private Task<int> Failing() => writer.WriteAsync<int>(_ => throw new InvalidOperationException("this job fails"));

    [Fact]
    public async Task A_failing_job_fails_alone_and_the_rest_of_its_batch_is_stored()
    {
        var first = Store(Error("FirstError", Id(1)));
        var bad = Failing();
        var second = Store(Error("SecondError", Id(2)));
        await writer.StartAsync(CancellationToken.None);

        Assert.Equal([Id(1)], await first);
        Assert.Equal([Id(2)], await second);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => bad);
        Assert.Equal("this job fails", error.Message);
        Assert.Equal(1, writer.RetriedBatches);

        using var connection = database.Connect();
        Assert.Equal(2, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM events"));
        Assert.Equal(2, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM issues WHERE event_count = 1"));
    }

    [Fact]
    public async Task Payloads_given_back_and_reused_as_each_store_ends_are_stored_intact_when_the_batch_runs_again()
    {
        // As IngestService does: each request's payloads go back to the pool when its task ends, and here the next renter
        // on that thread scribbles over the array at once. Were a task to end before the writer's last run of its job (the
        // batch fails, then runs one job per transaction), that run would store the scribble or throw.
        async Task<string[]> StoreThenGiveBack(PreparedEvent e)
        {
            try { return await Store(e); }
            finally
            {
                e.StoredPayload.Return();
                var reused = System.Buffers.ArrayPool<byte>.Shared.Rent(e.StoredPayload.Length);
                reused.AsSpan().Fill(0xEE);
                System.Buffers.ArrayPool<byte>.Shared.Return(reused);
            }
        }
        var events = Enumerable.Range(1, 3).Select(n => Normalise("Reused", Id(n))).ToList();
        var expected = events.Select(e => e.Payload).ToList(); // expanded now, while the payloads are whole
        var first = StoreThenGiveBack(PreparedEvent.From(events[0]));
        var second = StoreThenGiveBack(PreparedEvent.From(events[1]));
        var bad = Failing();
        var third = StoreThenGiveBack(PreparedEvent.From(events[2]));
        await writer.StartAsync(CancellationToken.None);
        await Task.WhenAll(first, second, third);
        var late = Normalise("Reused", Id(4)); // its payload may be in an array the others gave back
        expected.Add(late.Payload);
        await StoreThenGiveBack(PreparedEvent.From(late));

        using var connection = database.Connect();
        var stored = connection.Query<byte[]>("SELECT payload FROM events ORDER BY event_id").Select(p => StoredPayload.Decompress(p)).ToList();
        Assert.Equal(expected, stored);
        await Assert.ThrowsAsync<InvalidOperationException>(() => bad);
        Assert.Equal(1, writer.RetriedBatches);
    }

    [Fact]
    public async Task An_issue_made_in_a_rolled_back_batch_is_made_again_not_remembered()
    {
        // The first store creates the issue and caches its id; the failure rolls that row back.
        var created = Store(Error("NewError", Id(1)));
        var bad = Failing();
        await writer.StartAsync(CancellationToken.None);
        await created;
        await Assert.ThrowsAsync<InvalidOperationException>(() => bad);

        await Store(Error("NewError", Id(2)));

        using var connection = database.Connect();
        var issue = connection.QuerySingle<(long Id, long EventCount)>("SELECT id, event_count FROM issues");
        Assert.Equal(2, issue.EventCount);
        Assert.Equal([issue.Id, issue.Id], connection.Query<long>("SELECT issue_id FROM events ORDER BY id"));
    }

    [Fact]
    public async Task Requests_in_one_transaction_make_one_count_per_issue_and_exact_totals()
    {
        static PreparedEvent Tagged(string type, string id) =>
            PreparedEvent.From(Normalise(type, id), new Kestrel.Tags.EventTagSet([new("level", "error"), new("user", "id:" + id[^1])], 0));
        var stores = Enumerable.Range(1, 5).Select(n => Store(Tagged("SameError", Id(n)), Tagged("OtherError", Id(100 + n)))).ToList();
        await writer.StartAsync(CancellationToken.None);
        await Task.WhenAll(stores);

        Assert.Equal(1, writer.CommittedBatches); // queued before the writer started: one transaction
        using var connection = database.Connect();
        Assert.Equal([5L, 5L], connection.Query<long>("SELECT event_count FROM issues ORDER BY id"));
        Assert.Equal(10, connection.ExecuteScalar<long>("SELECT sum(count) FROM issue_hourly"));
        Assert.Equal([5L, 5L], connection.Query<long>("SELECT count FROM issue_tags WHERE key = 'level' ORDER BY issue_id"));
        Assert.Equal([5L, 5L], connection.Query<long>("SELECT users_affected FROM issues ORDER BY id"));
        Assert.Equal(2, connection.ExecuteScalar<long>("SELECT count(*) FROM issue_activity WHERE kind = 'created'"));
    }

    [Fact]
    public async Task A_job_that_does_not_defer_sees_the_counts_of_the_requests_before_it()
    {
        var before = Store(Error("SameError", Id(1)), Error("SameError", Id(2)));
        var seen = writer.WriteAsync(session => session.Connection.ExecuteScalar<long>("SELECT event_count FROM issues", transaction: session.Transaction));
        var after = Store(Error("SameError", Id(3)));
        await writer.StartAsync(CancellationToken.None);
        await Task.WhenAll(before, seen, after);

        Assert.Equal(2, await seen);
        Assert.Equal(1, writer.CommittedBatches);
        using var connection = database.Connect();
        Assert.Equal(3, connection.ExecuteScalar<long>("SELECT event_count FROM issues"));
    }

    [Fact]
    public async Task An_event_stored_before_a_resolve_in_the_same_transaction_does_not_reopen_the_issue_and_one_after_does()
    {
        await writer.StartAsync(CancellationToken.None);
        await Store(Error("SameError", Id(1)));
        await writer.StopAsync(CancellationToken.None); // queue the rest before the writer runs again: one transaction

        using var restarted = new DatabaseWriter(database, options, NullLogger<DatabaseWriter>.Instance);
        var again = new EventStore(restarted);
        Task<long> Resolve() => restarted.WriteAsync(session => (long)session.Connection.Execute(
            "UPDATE issues SET status = 'resolved', resolved_at = 1 WHERE project_id = @projectId", new { projectId }, session.Transaction));
        var early = again.StoreAsync(projectId, [Error("SameError", Id(2))], 1_728_000_000_000, CancellationToken.None);
        var resolved = Resolve();
        await restarted.StartAsync(CancellationToken.None);
        await Task.WhenAll(early, resolved);
        using (var connection = database.Connect())
            Assert.Equal(("resolved", 2L), connection.QuerySingle<(string, long)>("SELECT status, event_count FROM issues"));

        await restarted.StopAsync(CancellationToken.None);
        using var third = new DatabaseWriter(database, options, NullLogger<DatabaseWriter>.Instance);
        var resolvedAgain = third.WriteAsync(session => (long)session.Connection.Execute("UPDATE issues SET status = 'resolved'", transaction: session.Transaction));
        var late = new EventStore(third).StoreAsync(projectId, [Error("SameError", Id(3))], 1_728_000_000_000, CancellationToken.None);
        await third.StartAsync(CancellationToken.None);
        await Task.WhenAll(resolvedAgain, late);
        await third.StopAsync(CancellationToken.None);
        using (var connection = database.Connect())
            Assert.Equal(("open", 3L), connection.QuerySingle<(string, long)>("SELECT status, event_count FROM issues"));
    }

    [Fact]
    public async Task Counts_per_request_add_up_per_issue_and_per_hour()
    {
        await writer.StartAsync(CancellationToken.None);
        await Store(Error("A", Id(1)), Error("B", Id(2)), Error("A", Id(3)), Error("A", Id(1)));

        using var connection = database.Connect();
        var counts = connection.Query<(string Type, long Count)>("SELECT type, event_count FROM issues ORDER BY type").ToList();
        Assert.Equal([("A", 2L), ("B", 1L)], counts);
        Assert.Equal(3, connection.ExecuteScalar<long>("SELECT SUM(count) FROM issue_hourly"));
    }

    [Fact]
    public async Task A_resent_event_under_a_new_fingerprint_leaves_no_empty_issue()
    {
        await writer.StartAsync(CancellationToken.None);
        await Store(Error("Original", Id(1)));
        await Store(Error("Regrouped", Id(1)));

        using var connection = database.Connect();
        Assert.Equal(["Original"], connection.Query<string>("SELECT type FROM issues"));
        Assert.Equal(1, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM events"));

        // The removed issue's id is not remembered either: the fingerprint can still get its issue.
        await Store(Error("Regrouped", Id(2)));
        Assert.Equal(1, connection.ExecuteScalar<long>("SELECT event_count FROM issues WHERE type = 'Regrouped'"));
    }

    [Fact]
    public async Task An_event_id_twice_in_one_transaction_and_a_resend_of_an_earlier_one_are_each_counted_once()
    {
        await writer.StartAsync(CancellationToken.None);
        await Store(Error("Known", Id(1)));
        // One job, so one transaction: the events go in with one statement on PostgreSQL, one by one on SQLite.
        Assert.Equal([Id(1), Id(2), Id(2), Id(3), Id(3)],
            await Store(Error("Known", Id(1)), Error("Known", Id(2)), Error("Known", Id(2)), Error("Fresh", Id(3)), Error("Fresh", Id(3))));

        using var connection = database.Connect();
        Assert.Equal([("Fresh", 1L), ("Known", 2L)], connection.Query<(string, long)>("SELECT type, event_count FROM issues ORDER BY type"));
        Assert.Equal([Id(1), Id(2), Id(3)], connection.Query<string>("SELECT event_id FROM events ORDER BY event_id"));
        Assert.Equal(3, connection.ExecuteScalar<long>("SELECT SUM(count) FROM issue_hourly"));
    }

    [Fact]
    public async Task Payloads_are_stored_compressed_and_read_back_as_the_normalised_json()
    {
        await writer.StartAsync(CancellationToken.None);
        var normalised = Normalise("Stored", Id(7));
        await Store(PreparedEvent.From(normalised));

        using var connection = database.Connect();
        var stored = connection.ExecuteScalar<byte[]>("SELECT payload FROM events")!;
        Assert.True(stored.Length < normalised.Payload.Length);
        Assert.Equal(normalised.Payload, StoredPayload.Decompress(stored));
    }

    [Fact]
    public async Task An_issue_deleted_behind_the_writer_is_made_again_on_its_next_event()
    {
        await writer.StartAsync(CancellationToken.None);
        await Store(Error("Deleted", Id(1)));
        using var connection = database.Connect();
        connection.Execute("DELETE FROM events; DELETE FROM issues;");

        Assert.Equal([Id(2)], await Store(Error("Deleted", Id(2))));

        var issue = connection.QuerySingle<(long Id, long EventCount)>("SELECT id, event_count FROM issues");
        Assert.Equal(1, issue.EventCount);
        Assert.Equal(issue.Id, connection.ExecuteScalar<long>("SELECT issue_id FROM events"));
    }
}

/// <summary>The writer on SQLite, with what only SQLite has: fsync per commit by PRAGMA, another program's write lock.</summary>
[Trait("Engine", "sqlite")]
public sealed class DatabaseWriterOnSqliteTests() : DatabaseWriterTests(Engines.Sqlite)
{
    [Fact]
    public void Connections_commit_with_synchronous_full_so_an_answered_event_survives_a_power_cut()
    {
        // kill -9 in the crash tests leaves the OS page cache intact, so only this shows fsync per commit.
        using var connection = database.Open();
        Assert.Equal(2L, connection.ExecuteScalar<long>("PRAGMA synchronous")); // 2 = FULL
        Assert.Equal("wal", connection.ExecuteScalar<string>("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task When_another_program_holds_the_write_lock_the_whole_batch_fails_once_with_busy()
    {
        using var impatient = new DatabaseWriter(new Database(options, busyTimeoutSeconds: 1), options, NullLogger<DatabaseWriter>.Instance);
        var impatientStore = new EventStore(impatient);
        using var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database.Path};Pooling=False");
        other.Open();
        other.Execute("BEGIN IMMEDIATE");

        var stores = Enumerable.Range(1, 3)
            .Select(n => impatientStore.StoreAsync(projectId, [Error("Locked", Id(n))], 1_728_000_000_000, CancellationToken.None))
            .ToList();
        await impatient.StartAsync(CancellationToken.None);
        foreach (var store in stores)
            Assert.Equal(5, (await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => store)).SqliteErrorCode);
        Assert.Equal(0, impatient.RetriedBatches);

        other.Execute("ROLLBACK");
        await impatientStore.StoreAsync(projectId, [Error("Locked", Id(4))], 1_728_000_000_000, CancellationToken.None);
        await impatient.StopAsync(CancellationToken.None);
    }
}

/// <summary>
/// The writer on PostgreSQL, with what only a shared database has: other nodes' writers on the same rows, and a
/// connection that the server can take away. A second <see cref="DatabaseWriter"/> on the same database is a second node.
/// </summary>
[Trait("Engine", "both")] // picks PostgreSQL itself: the PostgreSQL run of scripts/test.sh need not run it again
public sealed class DatabaseWriterOnPostgresTests() : DatabaseWriterTests(Engines.Postgres)
{
    private DatabaseWriter Node() => new(new Database(options), options, NullLogger<DatabaseWriter>.Instance);

    /// <summary>Polls <paramref name="done"/> until it is true, failing after <paramref name="seconds"/>.</summary>
    private static async Task UntilAsync(Func<Task<bool>> done, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await done())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"Not so after {seconds} s.");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task The_writer_commits_with_synchronous_commit_on_under_its_own_application_name()
    {
        // Whatever the database's default: an acknowledged event must be on the database server's disk.
        using (var connection = database.Connect())
            connection.Execute($"ALTER DATABASE \"{connection.Database}\" SET synchronous_commit = off");
        using var node = Node();
        await node.StartAsync(CancellationToken.None);
        var (commit, name) = await node.WriteAsync(session => (
            session.Connection.ExecuteScalar<string>("SHOW synchronous_commit", transaction: session.Transaction),
            session.Connection.ExecuteScalar<string>("SELECT current_setting('application_name')", transaction: session.Transaction)));
        await node.StopAsync(CancellationToken.None);
        Assert.Equal(("on", Database.WriterApplicationName), (commit, name));
    }

    [Fact]
    public async Task The_same_new_error_at_two_nodes_at_once_makes_one_issue_with_exact_counts_and_one_new_issue_alert()
    {
        long ruleId;
        using (var connection = database.Connect())
        {
            var channelId = connection.ExecuteScalar<long>(
                "INSERT INTO alert_channels (project_id, name, kind, url, created_at) VALUES (@projectId, 'hook', 'webhook', 'http://127.0.0.1:9/', 0) RETURNING id", new { projectId });
            ruleId = connection.ExecuteScalar<long>(
                "INSERT INTO alert_rules (project_id, name, trigger, created_at) VALUES (@projectId, 'new', 'new_issue', 0) RETURNING id", new { projectId });
            connection.Execute("INSERT INTO alert_rule_channels (rule_id, channel_id) VALUES (@ruleId, @channelId)", new { ruleId, channelId });
        }
        using var other = Node();
        var otherStore = new EventStore(other);
        // Each node gets its half queued before it starts, so both hold one transaction that makes the issue and they
        // meet on its key; then more requests race on both while they run.
        var first = Enumerable.Range(0, 40).Select(n => (n % 2 == 0 ? store : otherStore)
            .StoreAsync(projectId, [Error("RaceError", Id(n))], 1_728_000_000_000, CancellationToken.None)).ToList();
        await Task.WhenAll(writer.StartAsync(CancellationToken.None), other.StartAsync(CancellationToken.None));
        var more = Enumerable.Range(40, 160).Select(n => Task.Run(() => (n % 2 == 0 ? store : otherStore)
            .StoreAsync(projectId, [Error("RaceError", Id(n)), Error("RaceError", Id(1000 + n))], 1_728_000_000_000, CancellationToken.None))).ToList();
        await Task.WhenAll(first.Concat(more));
        await other.StopAsync(CancellationToken.None);

        using var check = database.Connect();
        var issue = check.QuerySingle<(long Id, long EventCount)>("SELECT id, event_count FROM issues");
        Assert.Equal(40 + 2 * 160, issue.EventCount);
        Assert.Equal(40 + 2 * 160, check.ExecuteScalar<long>("SELECT count(*) FROM events WHERE issue_id = @Id", new { issue.Id }));
        Assert.Equal(40 + 2 * 160, check.ExecuteScalar<long>("SELECT CAST(sum(count) AS BIGINT) FROM issue_hourly WHERE issue_id = @Id", new { issue.Id }));
        Assert.Equal(1, check.ExecuteScalar<long>("SELECT count(*) FROM issue_activity WHERE kind = 'created'"));
        Assert.Equal(1, check.ExecuteScalar<long>("SELECT count(*) FROM alert_deliveries WHERE rule_id = @ruleId AND trigger = 'new_issue'", new { ruleId }));
    }

    [Fact]
    public async Task Two_nodes_making_the_same_new_issues_in_opposite_orders_both_commit_every_event()
    {
        using var other = Node();
        var otherStore = new EventStore(other);
        // One transaction per node, each making A and B in the other's order: if they lock each other out, PostgreSQL
        // fails one of them and the writer runs it again; either way no request fails.
        var stores = new List<Task<string[]>>();
        for (var n = 0; n < 10; n++)
        {
            stores.Add(store.StoreAsync(projectId, [Error("OrderA", Id(n)), Error("OrderB", Id(100 + n))], 1_728_000_000_000, CancellationToken.None));
            stores.Add(otherStore.StoreAsync(projectId, [Error("OrderB", Id(200 + n)), Error("OrderA", Id(300 + n))], 1_728_000_000_000, CancellationToken.None));
        }
        await Task.WhenAll(writer.StartAsync(CancellationToken.None), other.StartAsync(CancellationToken.None));
        await Task.WhenAll(stores);
        await other.StopAsync(CancellationToken.None);

        using var check = database.Connect();
        Assert.Equal([("OrderA", 20L), ("OrderB", 20L)], check.Query<(string, long)>("SELECT type, event_count FROM issues ORDER BY type"));
        Assert.Equal(2, check.ExecuteScalar<long>("SELECT count(*) FROM issue_activity WHERE kind = 'created'"));
    }

    [Fact]
    public async Task Two_nodes_counting_the_same_tags_and_users_at_once_keep_exact_counts_without_a_deadlock()
    {
        static PreparedEvent Tagged(int n) => PreparedEvent.From(Normalise("TaggedRace", Id(n)), new Kestrel.Tags.EventTagSet(
            [new("level", "error"), new("release", "1.0"), new("browser", n % 3 == 0 ? "Firefox 132" : "Chrome 130"), new("user", "id:" + n % 50)], 0));
        await writer.StartAsync(CancellationToken.None);
        await store.StoreAsync(projectId, [Tagged(0)], 1_728_000_000_000, CancellationToken.None); // the issue exists before the race
        using var other = Node();
        var otherStore = new EventStore(other);
        await other.StartAsync(CancellationToken.None);
        var stores = Enumerable.Range(1, 199).Select(n => Task.Run(() => (n % 2 == 0 ? store : otherStore)
            .StoreAsync(projectId, [Tagged(n), Tagged(1000 + n)], 1_728_000_000_000, CancellationToken.None))).ToList();
        await Task.WhenAll(stores);
        await other.StopAsync(CancellationToken.None);

        const long events = 1 + 2 * 199;
        using var check = database.Connect();
        Assert.Equal(events, check.ExecuteScalar<long>("SELECT event_count FROM issues"));
        Assert.Equal(50, check.ExecuteScalar<long>("SELECT users_affected FROM issues")); // users id:0 to id:49, each counted new once
        Assert.Equal((50L, events), check.QuerySingle<(long, long)>("SELECT count(*), CAST(sum(count) AS BIGINT) FROM issue_tags WHERE key = 'user'"));
        Assert.Equal(events, check.ExecuteScalar<long>("SELECT count FROM issue_tags WHERE key = 'level' AND value = 'error'"));
        var firefox = Enumerable.Range(1, 199).Sum(n => (n % 3 == 0 ? 1 : 0) + ((1000 + n) % 3 == 0 ? 1 : 0)) + 1;
        Assert.Equal([("Chrome 130", events - firefox), ("Firefox 132", (long)firefox)],
            check.Query<(string, long)>("SELECT value, count FROM issue_tags WHERE key = 'browser' ORDER BY value"));
        // Both nodes take the tag rows in the same order (user rows, then the others, each in key order), so neither
        // waited on the other in a cycle that PostgreSQL had to break.
        Assert.Equal(0, writer.ConflictRetries + other.ConflictRetries);
    }

    [Fact]
    public async Task A_regression_seen_by_two_nodes_at_once_is_decided_once()
    {
        await writer.StartAsync(CancellationToken.None);
        await Store(Error("Regressing", Id(1)));
        using (var connection = database.Connect())
            connection.Execute("UPDATE issues SET status = 'resolved', resolved_at = 1");
        using var other = Node();
        var otherStore = new EventStore(other);
        var stores = Enumerable.Range(2, 20).Select(n => (n % 2 == 0 ? store : otherStore)
            .StoreAsync(projectId, [Error("Regressing", Id(n))], 1_728_000_000_000, CancellationToken.None)).ToList();
        await other.StartAsync(CancellationToken.None);
        await Task.WhenAll(stores);
        await other.StopAsync(CancellationToken.None);

        using var check = database.Connect();
        Assert.Equal(("open", 21L), check.QuerySingle<(string, long)>("SELECT status, event_count FROM issues"));
        Assert.Equal(1, check.ExecuteScalar<long>("SELECT count(*) FROM issue_activity WHERE kind = 'regressed'"));
    }

    [Fact]
    public async Task A_writer_whose_connection_is_killed_fails_at_most_one_write_with_503_then_reconnects_and_loses_nothing()
    {
        await writer.StartAsync(CancellationToken.None);
        await Store(Error("Killed", Id(1)));
        using var admin = database.Connect();
        var pid = admin.ExecuteScalar<int>(
            "SELECT pid FROM pg_stat_activity WHERE application_name = @name AND datname = current_database()", new { name = Database.WriterApplicationName });
        Assert.True(admin.ExecuteScalar<bool>("SELECT pg_terminate_backend(@pid)", new { pid }));
        await UntilAsync(async () => admin.ExecuteScalar<long>("SELECT count(*) FROM pg_stat_activity WHERE pid = @pid", new { pid }) == 0);

        var answered = new List<string> { Id(1) };
        try { answered.AddRange(await Store(Error("Killed", Id(2)))); }
        catch (Exception e) { Assert.Equal(503, ErrorHandling.Classify(e).Status); }
        answered.AddRange(await Store(Error("Killed", Id(3))));

        Assert.Contains(Id(3), answered);
        Assert.Equal(answered.Order(), admin.Query<string>("SELECT event_id FROM events ORDER BY event_id"));
        Assert.Equal(answered.Count, admin.ExecuteScalar<long>("SELECT event_count FROM issues"));
        Assert.NotEqual(pid, admin.ExecuteScalar<int>(
            "SELECT pid FROM pg_stat_activity WHERE application_name = @name AND datname = current_database()", new { name = Database.WriterApplicationName }));
    }

    [Fact]
    public async Task While_the_database_is_missing_writes_fail_with_503_and_the_writer_recovers_by_itself_when_it_is_back()
    {
        // The shared test cluster cannot be stopped, but a database can be missing: the writer of a node pointed at one
        // that does not exist yet is a node whose database is down (refused at connect), and creating it brings it back.
        var later = options.DatabaseUrl + "_later";
        var laterOptions = new KestrelOptions { DataDirectory = directory.Path, DatabaseUrl = later };
        using var node = new DatabaseWriter(new Database(laterOptions), laterOptions, NullLogger<DatabaseWriter>.Instance);
        var nodeStore = new EventStore(node);
        await node.StartAsync(CancellationToken.None);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => nodeStore.StoreAsync(1, [Error("Down", Id(1))], 1_728_000_000_000, CancellationToken.None));
        Assert.Equal(503, ErrorHandling.Classify(refused).Status);

        using (var connection = database.Connect())
            connection.Execute($"CREATE DATABASE \"{new Npgsql.NpgsqlConnectionStringBuilder(PostgresUrl.ToConnectionString(later)).Database}\"");
        var back = Database.OpenAndMigrate(laterOptions);
        var laterProject = new ProjectStore(back).Create("later", 0).Project.Id;

        var answered = new List<string>();
        var n = 2;
        await UntilAsync(async () =>
        {
            try { answered.AddRange(await nodeStore.StoreAsync(laterProject, [Error("Down", Id(n++))], 1_728_000_000_000, CancellationToken.None)); return true; }
            catch (Exception e) when (ErrorHandling.Classify(e).Status == 503) { return false; }
        });
        await node.StopAsync(CancellationToken.None);
        using var check = back.Connect();
        Assert.Equal(answered, check.Query<string>("SELECT event_id FROM events"));
    }
}
