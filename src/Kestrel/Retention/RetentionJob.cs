using System.Diagnostics;
using Kestrel.Platform;

namespace Kestrel.Retention;

/// <summary>What one retention run did.</summary>
/// <param name="DaysDropped">PostgreSQL: day partitions dropped (their events are counted in <paramref name="AgedOut"/>)</param>
public sealed record RetentionRun(long AgedOut, long OverCap, long HoursDeleted, long PagesFreed, double Seconds, long DaysDropped = 0);

/// <summary>
/// Deletes events older than <see cref="KestrelOptions.RetentionDays"/> and, per issue, events beyond
/// <see cref="KestrelOptions.RetentionMaxEventsPerIssue"/> (keeping the issue's first event and its newest),
/// then gives the freed pages back to the file system. Issues and their counts stay. Hourly counts are
/// kept for at least 30 days, the longest trend the API and MCP show. Runs a minute after start, then
/// every <see cref="KestrelOptions.RetentionIntervalSeconds"/>, in small writer jobs between ingest's.
/// On PostgreSQL it runs on one node at a time (the lease <see cref="LeaseName"/>), and ages events out by dropping whole
/// days (<see cref="EventPartitions"/>): an event goes once its whole UTC day is older than the retention, so it stays
/// between <see cref="KestrelOptions.RetentionDays"/> and one day more.
/// </summary>
public sealed class RetentionJob(RetentionStore store, EventPartitions partitions, Leases leases, Database database, KestrelOptions options,
    TimeProvider time, ILogger<RetentionJob> logger) : BackgroundService
{
    public const string LeaseName = "retention";

    private const int MinHourlyDays = 30;

    public long Runs;
    public long EventsAgedOut;
    public long EventsOverCap;
    public long PagesFreed;
    public double LastRunSeconds;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.RetentionIntervalSeconds);
        return LeasedLoop.RunAsync(leases, LeaseName, interval < TimeSpan.FromMinutes(1) ? interval : TimeSpan.FromMinutes(1), interval, time,
            async token =>
            {
                try { await RunOnceAsync(token); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A busy or full disk (or an unreachable database) must not stop the server; the next run tries again.
                    logger.LogError("Retention failed, retrying in {Seconds} s: {Message}", options.RetentionIntervalSeconds, e.Message);
                }
            }, logger, stoppingToken);
    }

    public async Task<RetentionRun> RunOnceAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var now = time.GetUtcNow();
        long aged = 0, capped = 0, hours = 0, pages = 0, days = 0;

        var cutoff = (now - TimeSpan.FromDays(options.RetentionDays)).ToUnixTimeMilliseconds();
        var postgres = database.Engine == DatabaseEngine.Postgres;
        if (postgres)
        {
            var cutoffDay = EventPartitions.DayOf(cutoff);
            foreach (var day in partitions.Days().Where(d => d < cutoffDay))
                if (partitions.Drop(day) is { } dropped)
                {
                    aged += dropped;
                    days++;
                }
            cutoff = cutoffDay * EventPartitions.DayMs; // the rows below: old strays of the default partition, by the same whole days
        }
        for (int n; (n = await store.DeleteOldEventsAsync(cutoff, cancellationToken)) > 0;)
        {
            aged += n;
            if (n < RetentionStore.BatchSize) break;
        }

        var cap = options.RetentionMaxEventsPerIssue;
        if (cap > 0)
            foreach (var issue in store.IssuesOverCap(cap))
                for (int n; (n = await store.TrimIssueAsync(issue, cap, cancellationToken)) > 0;)
                {
                    capped += n;
                    if (n < RetentionStore.BatchSize) break;
                }

        var hourCutoff = (now - TimeSpan.FromDays(Math.Max(options.RetentionDays, MinHourlyDays))).ToUnixTimeMilliseconds();
        for (int n; (n = await store.DeleteOldHoursAsync(hourCutoff, cancellationToken)) > 0;) hours += n;

        // Each step frees a bounded number of pages; the loop ends when none are left (or none were freed).
        while (!postgres)
        {
            var (before, after) = await store.VacuumStepAsync(cancellationToken);
            pages += Math.Max(0, before - after);
            if (after == 0 || after >= before) break;
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Interlocked.Increment(ref Runs);
        Interlocked.Add(ref EventsAgedOut, aged);
        Interlocked.Add(ref EventsOverCap, capped);
        Interlocked.Add(ref PagesFreed, pages);
        LastRunSeconds = seconds;
        if (aged + capped + hours > 0)
            logger.LogInformation("Retention deleted {Aged} events older than {Days} days and {Capped} beyond {Cap} per issue, {Hours} hourly counts; freed {Pages} pages in {Seconds:0.0} s",
                aged, options.RetentionDays, capped, cap, hours, pages, seconds);
        if (days > 0)
            logger.LogInformation("Retention dropped {Dropped} whole days of events older than {Days} days", days, options.RetentionDays);
        return new RetentionRun(aged, capped, hours, pages, seconds, days);
    }
}

public static class RetentionSetup
{
    public static IServiceCollection AddRetention(this IServiceCollection services) => services
        .AddLeases()
        .AddSingleton<RetentionStore>()
        .AddSingleton<EventPartitions>()
        .AddSingleton<RetentionJob>()
        .AddHostedService(s => s.GetRequiredService<RetentionJob>())
        .AddSingleton<PartitionUpkeep>()
        .AddHostedService(s => s.GetRequiredService<PartitionUpkeep>());
}
