using System.Text.Json;
using Dapper;
using Kestrel.Ingest;
using Kestrel.Platform;
using Kestrel.Projects;
using Kestrel.Retention;
using Kestrel.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kestrel.Tests.Retention;

/// <summary>
/// Retention against the real database of the run's engine (kestrel.db, or PostgreSQL with KESTREL_TEST_ENGINE=postgres)
/// and the real writer, with a clock the test moves: events are stored "days ago" by passing their arrival time, then one
/// run is made at "now". PostgreSQL ages events out by whole days (PostgresUpkeepTests); the cases whose answer differs
/// there, or that look at SQLite's file, are SQLite's.
/// </summary>
public sealed class RetentionTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory directory = new();
    private readonly ManualClock clock = new(Now);
    private KestrelOptions options = null!;
    private Database database = null!;
    private DatabaseWriter writer = null!;
    private EventStore events = null!;
    private long projectId;

    public async Task InitializeAsync()
    {
        options = new KestrelOptions
        {
            DataDirectory = directory.Path,
            DatabaseUrl = Engines.DatabaseUrlFor(directory.Path),
            RetentionDays = 30,
            RetentionMaxEventsPerIssue = 5,
        };
        database = Database.OpenAndMigrate(options);
        writer = new DatabaseWriter(database, options, NullLogger<DatabaseWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        events = new EventStore(writer);
        projectId = new ProjectStore(database).Create("retention", 0).Project.Id;
    }

    public async Task DisposeAsync()
    {
        await writer.StopAsync(CancellationToken.None);
        writer.Dispose();
        directory.Dispose();
    }

    private RetentionJob Job() => new(new RetentionStore(database, writer), new EventPartitions(database), new Leases(database), database, options, clock,
        NullLogger<RetentionJob>.Instance);

    private int nextId;

    /// <summary>Stores <paramref name="count"/> events of one issue, arriving <paramref name="daysAgo"/> days before now.</summary>
    private async Task<List<string>> StoreAsync(string type, int count, double daysAgo, int payloadBytes = 100)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var id = (++nextId).ToString("x32");
            var json = JsonSerializer.Serialize(new { event_id = id, exception = new[] { new { type, value = "boom" } }, user = new { id = "u" + nextId },
                extra = new { pad = new string('p', payloadBytes) } });
            using var document = JsonDocument.Parse(json);
            var at = Now - TimeSpan.FromDays(daysAgo);
            var normalised = EventNormaliser.Normalise(document.RootElement, at);
            var prepared = PreparedEvent.From(normalised, Kestrel.Tags.EventTags.Read(document.RootElement, normalised.Level));
            await events.StoreAsync(projectId, [prepared], at.ToUnixTimeMilliseconds(), CancellationToken.None);
            ids.Add(id);
        }
        return ids;
    }

    private List<string> StoredIds(string type)
    {
        using var connection = database.Connect();
        return connection.Query<string>("SELECT e.event_id FROM events e JOIN issues i ON i.id = e.issue_id WHERE i.type = @type ORDER BY e.id", new { type }).AsList();
    }

    private long EventCount(string type)
    {
        using var connection = database.Connect();
        return connection.ExecuteScalar<long>("SELECT event_count FROM issues WHERE type = @type", new { type });
    }

    [Fact]
    [Trait("Engine", "sqlite")] // to the millisecond; PostgreSQL keeps a day that is not wholly past (PostgresUpkeepTests)
    public async Task Events_older_than_the_retention_are_deleted_and_issues_keep_their_counts()
    {
        var old = await StoreAsync("OldError", 3, daysAgo: 31);
        var mixedOld = await StoreAsync("MixedError", 2, daysAgo: 30.5);
        var mixedNew = await StoreAsync("MixedError", 2, daysAgo: 29.5);

        var run = await Job().RunOnceAsync(CancellationToken.None);

        Assert.Equal(5, run.AgedOut);
        Assert.Empty(StoredIds("OldError"));
        Assert.Equal(mixedNew, StoredIds("MixedError"));
        Assert.Equal(3, EventCount("OldError")); // the issue and its count stay
        Assert.Equal(4, EventCount("MixedError"));
        using (var connection = database.Open()) // and so do its tag counts
        {
            Assert.Equal(3, connection.ExecuteScalar<long>("SELECT users_affected FROM issues WHERE type = 'OldError'"));
            Assert.Equal(3, connection.ExecuteScalar<long>(
                "SELECT t.count FROM issue_tags t JOIN issues i ON i.id = t.issue_id WHERE i.type = 'OldError' AND t.key = 'level' AND t.value = 'error'"));
        }
        Assert.DoesNotContain(old[0], StoredIds("MixedError").Concat(mixedOld));
    }

    [Fact]
    public async Task Each_issue_keeps_its_first_event_and_its_newest_up_to_the_cap()
    {
        var ids = await StoreAsync("BusyError", 12, daysAgo: 1);
        var quiet = await StoreAsync("QuietError", 5, daysAgo: 1);

        var run = await Job().RunOnceAsync(CancellationToken.None);

        Assert.Equal(7, run.OverCap);
        Assert.Equal([ids[0], .. ids[^4..]], StoredIds("BusyError"));
        Assert.Equal(quiet, StoredIds("QuietError"));
        Assert.Equal(12, EventCount("BusyError"));
        Assert.Equal(0, (await Job().RunOnceAsync(CancellationToken.None)).OverCap); // nothing more to do
    }

    [Fact]
    [Trait("Engine", "sqlite")] // batches of rows and kestrel.db's free pages; PostgreSQL drops whole days
    public async Task Deleting_many_goes_in_small_batches_and_hands_the_space_back()
    {
        options.RetentionMaxEventsPerIssue = 0; // no cap: only age
        await StoreAsync("BigError", RetentionStore.BatchSize * 2 + 10, daysAgo: 40, payloadBytes: 4000);
        var keep = await StoreAsync("BigError", 3, daysAgo: 1);
        var fileBefore = new FileInfo(database.Path).Length + WalLength();
        var jobsBefore = Interlocked.Read(ref writer.CommittedJobs);

        var run = await Job().RunOnceAsync(CancellationToken.None);

        Assert.Equal(RetentionStore.BatchSize * 2 + 10, run.AgedOut);
        Assert.Equal(keep, StoredIds("BigError"));
        Assert.True(Interlocked.Read(ref writer.CommittedJobs) - jobsBefore >= 3, "each batch is its own writer job");
        Assert.True(run.PagesFreed > 0);
        using var connection = database.Open();
        Assert.Equal(0, connection.ExecuteScalar<long>("PRAGMA freelist_count"));
        connection.Execute("PRAGMA wal_checkpoint(TRUNCATE)");
        Assert.True(new FileInfo(database.Path).Length < fileBefore / 2, $"file {new FileInfo(database.Path).Length} bytes, was {fileBefore}");
    }

    private long WalLength() => File.Exists(database.Path + "-wal") ? new FileInfo(database.Path + "-wal").Length : 0;

    [Fact]
    public async Task Hourly_counts_stay_for_thirty_days_at_least_and_feedback_goes_with_its_event()
    {
        options.RetentionDays = 7;
        var ids = await StoreAsync("TrendError", 1, daysAgo: 10);
        await StoreAsync("TrendError", 1, daysAgo: 40);
        await new UserFeedbackStore(writer).StoreAsync(projectId, [new UserFeedback(ids[0], "Ada", "", "broken", "")], Now.ToUnixTimeMilliseconds(), CancellationToken.None);

        var run = await Job().RunOnceAsync(CancellationToken.None);

        Assert.Equal(2, run.AgedOut);
        Assert.Equal(1, run.HoursDeleted); // the 40-day-old hour; the 10-day-old one stays for trends
        using var connection = database.Connect();
        Assert.Equal(1, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM issue_hourly"));
        Assert.Equal(0, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM user_feedback"));
    }
}
