using System.Text.Json;
using Dapper;
using Kestrel.Ingest;
using Kestrel.Platform;
using Kestrel.Projects;
using Kestrel.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kestrel.Tests.Platform;

/// <summary>
/// The writer against a real kestrel.db. Jobs are queued before the writer starts, so they are
/// certain to share one batch: that is how the failure path (roll back, then one job per
/// transaction) is reached without timing.
/// </summary>
public sealed class DatabaseWriterTests : IDisposable
{
    private readonly TempDirectory directory = new();
    private readonly Database database;
    private readonly DatabaseWriter writer;
    private readonly EventStore store;
    private readonly long projectId;

    public DatabaseWriterTests()
    {
        var options = new KestrelOptions { DataDirectory = directory.Path };
        database = Database.OpenAndMigrate(options);
        writer = new DatabaseWriter(database, options, NullLogger<DatabaseWriter>.Instance);
        store = new EventStore(writer);
        projectId = new ProjectStore(database).Create("writer", 0).Project.Id;
    }

    public void Dispose()
    {
        writer.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        writer.Dispose();
        directory.Dispose();
    }

    private static NormalisedEvent Normalise(string type, string eventId)
    {
        using var document = JsonDocument.Parse($"{{\"event_id\":\"{eventId}\",{Events.Exception(type, "boom")[1..]}");
        return EventNormaliser.Normalise(document.RootElement, DateTimeOffset.UnixEpoch.AddDays(20_000));
    }

    private static PreparedEvent Error(string type, string eventId) => PreparedEvent.From(Normalise(type, eventId));

    private static string Id(int n) => n.ToString("x32");

    private Task<string[]> Store(params PreparedEvent[] events) => store.StoreAsync(projectId, events, 1_728_000_000_000, CancellationToken.None);

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

        using var connection = database.Open();
        Assert.Equal(2, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM events"));
        Assert.Equal(2, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM issues WHERE event_count = 1"));
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

        using var connection = database.Open();
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
        using var connection = database.Open();
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
        using var connection = database.Open();
        Assert.Equal(3, connection.ExecuteScalar<long>("SELECT event_count FROM issues"));
    }

    [Fact]
    public async Task An_event_stored_before_a_resolve_in_the_same_transaction_does_not_reopen_the_issue_and_one_after_does()
    {
        await writer.StartAsync(CancellationToken.None);
        await Store(Error("SameError", Id(1)));
        await writer.StopAsync(CancellationToken.None); // queue the rest before the writer runs again: one transaction

        using var restarted = new DatabaseWriter(database, new KestrelOptions { DataDirectory = directory.Path }, NullLogger<DatabaseWriter>.Instance);
        var again = new EventStore(restarted);
        Task<long> Resolve() => restarted.WriteAsync(session => (long)session.Connection.Execute(
            "UPDATE issues SET status = 'resolved', resolved_at = 1 WHERE project_id = @projectId", new { projectId }, session.Transaction));
        var early = again.StoreAsync(projectId, [Error("SameError", Id(2))], 1_728_000_000_000, CancellationToken.None);
        var resolved = Resolve();
        await restarted.StartAsync(CancellationToken.None);
        await Task.WhenAll(early, resolved);
        using (var connection = database.Open())
            Assert.Equal(("resolved", 2L), connection.QuerySingle<(string, long)>("SELECT status, event_count FROM issues"));

        await restarted.StopAsync(CancellationToken.None);
        using var third = new DatabaseWriter(database, new KestrelOptions { DataDirectory = directory.Path }, NullLogger<DatabaseWriter>.Instance);
        var resolvedAgain = third.WriteAsync(session => (long)session.Connection.Execute("UPDATE issues SET status = 'resolved'", transaction: session.Transaction));
        var late = new EventStore(third).StoreAsync(projectId, [Error("SameError", Id(3))], 1_728_000_000_000, CancellationToken.None);
        await third.StartAsync(CancellationToken.None);
        await Task.WhenAll(resolvedAgain, late);
        await third.StopAsync(CancellationToken.None);
        using (var connection = database.Open())
            Assert.Equal(("open", 3L), connection.QuerySingle<(string, long)>("SELECT status, event_count FROM issues"));
    }

    [Fact]
    public async Task Counts_per_request_add_up_per_issue_and_per_hour()
    {
        await writer.StartAsync(CancellationToken.None);
        await Store(Error("A", Id(1)), Error("B", Id(2)), Error("A", Id(3)), Error("A", Id(1)));

        using var connection = database.Open();
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

        using var connection = database.Open();
        Assert.Equal(["Original"], connection.Query<string>("SELECT type FROM issues"));
        Assert.Equal(1, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM events"));

        // The removed issue's id is not remembered either: the fingerprint can still get its issue.
        await Store(Error("Regrouped", Id(2)));
        Assert.Equal(1, connection.ExecuteScalar<long>("SELECT event_count FROM issues WHERE type = 'Regrouped'"));
    }

    [Fact]
    public async Task Payloads_are_stored_compressed_and_read_back_as_the_normalised_json()
    {
        await writer.StartAsync(CancellationToken.None);
        var normalised = Normalise("Stored", Id(7));
        await Store(PreparedEvent.From(normalised));

        using var connection = database.Open();
        var stored = connection.ExecuteScalar<byte[]>("SELECT payload FROM events")!;
        Assert.True(stored.Length < normalised.Payload.Length);
        Assert.Equal(normalised.Payload, StoredPayload.Decompress(stored));
    }

    [Fact]
    public async Task An_issue_deleted_behind_the_writer_is_made_again_on_its_next_event()
    {
        await writer.StartAsync(CancellationToken.None);
        await Store(Error("Deleted", Id(1)));
        using var connection = database.Open();
        connection.Execute("DELETE FROM events; DELETE FROM issues;");

        Assert.Equal([Id(2)], await Store(Error("Deleted", Id(2))));

        var issue = connection.QuerySingle<(long Id, long EventCount)>("SELECT id, event_count FROM issues");
        Assert.Equal(1, issue.EventCount);
        Assert.Equal(issue.Id, connection.ExecuteScalar<long>("SELECT issue_id FROM events"));
    }

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
        var options = new KestrelOptions { DataDirectory = directory.Path };
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
