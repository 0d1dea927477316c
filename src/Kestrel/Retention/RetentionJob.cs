using System.Diagnostics;
using Kestrel.Platform;

namespace Kestrel.Retention;

/// <summary>What one retention run did.</summary>
public sealed record RetentionRun(long AgedOut, long OverCap, long HoursDeleted, long PagesFreed, double Seconds);

/// <summary>
/// Deletes events older than <see cref="KestrelOptions.RetentionDays"/> and, per issue, events beyond
/// <see cref="KestrelOptions.RetentionMaxEventsPerIssue"/> (keeping the issue's first event and its newest),
/// then gives the freed pages back to the file system. Issues and their counts stay. Hourly counts are
/// kept for at least 30 days, the longest trend the API and MCP show. Runs a minute after start, then
/// every <see cref="KestrelOptions.RetentionIntervalSeconds"/>, in small writer jobs between ingest's.
/// </summary>
public sealed class RetentionJob(RetentionStore store, KestrelOptions options, TimeProvider time, ILogger<RetentionJob> logger) : BackgroundService
{
    private const int MinHourlyDays = 30;

    public long Runs;
    public long EventsAgedOut;
    public long EventsOverCap;
    public long PagesFreed;
    public double LastRunSeconds;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.RetentionIntervalSeconds);
        try
        {
            await Task.Delay(interval < TimeSpan.FromMinutes(1) ? interval : TimeSpan.FromMinutes(1), time, stoppingToken);
            while (true)
            {
                try { await RunOnceAsync(stoppingToken); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A busy or full disk must not stop the server; the next run tries again.
                    logger.LogError("Retention failed, retrying in {Seconds} s: {Message}", options.RetentionIntervalSeconds, e.Message);
                }
                await Task.Delay(interval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    public async Task<RetentionRun> RunOnceAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var now = time.GetUtcNow();
        long aged = 0, capped = 0, hours = 0, pages = 0;

        var cutoff = (now - TimeSpan.FromDays(options.RetentionDays)).ToUnixTimeMilliseconds();
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
        while (true)
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
        return new RetentionRun(aged, capped, hours, pages, seconds);
    }
}

public static class RetentionSetup
{
    public static IServiceCollection AddRetention(this IServiceCollection services) => services
        .AddSingleton<RetentionStore>()
        .AddSingleton<RetentionJob>()
        .AddHostedService(s => s.GetRequiredService<RetentionJob>());
}
