using System.Text.Json;

namespace Kestrel.Alerts;

/// <summary>
/// Sends what the outbox holds. Every second (or at once when woken, or when the next row is due) it
/// takes the due rows, gathers held ones into digests, holds what is over a channel's flood limit,
/// and attempts the rest, at most 4 at a time. One dispatcher works at a time: per data directory on SQLite (the
/// server's lock), across all nodes on PostgreSQL (the lease <see cref="LeaseName"/>; the others wait to take it over).
/// It never starts a round before the previous one ended, and each attempt first claims its row
/// (<see cref="DeliveryStore.ClaimAsync"/>), so a delivery is never sent twice at once, even by a node that lost its lease.
/// </summary>
public sealed class AlertDispatcher(DeliveryStore deliveries, AlertStore alerts, AlertMessages messages, DeliverySender sender,
    Platform.Leases leases, Platform.KestrelOptions options, TimeProvider time, ILogger<AlertDispatcher> logger) : BackgroundService
{
    public const string LeaseName = "alert-dispatch";

    /// <summary>Notifications per channel per flood window; the rest go into one digest at its end.</summary>
    public const int FloodLimit = 20;

    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly string[] Triggers = ["new_issue", "regression", "spike"];

    private readonly RetrySchedule schedule = new(options.AlertsRetryBaseSeconds);
    private readonly Dictionary<long, FloodWindow> floods = [];
    private readonly SemaphoreSlim wake = new(0, 1);
    private DateTimeOffset lastPrune;

    private sealed class FloodWindow(DateTimeOffset start)
    {
        public DateTimeOffset Start = start;
        public int Sent;
    }

    /// <summary>Starts a round now rather than at the next poll (a test delivery was queued).</summary>
    public void Wake()
    {
        try { wake.Release(); } catch (SemaphoreFullException) { /* already woken */ }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var held = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var worked = false;
            try
            {
                held = leases.TryHold(LeaseName);
                if (held)
                {
                    await PruneHourlyAsync();
                    worked = await RoundAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
            catch (Exception e) { logger.LogError(e, "Alert delivery round failed"); }
            if (worked) continue;
            var wait = held ? PollInterval : leases.Heartbeat;
            try
            {
                if (held && deliveries.NextDue() is { } next)
                {
                    var until = DateTimeOffset.FromUnixTimeMilliseconds(next) - time.GetUtcNow();
                    if (until < wait) wait = until < TimeSpan.Zero ? TimeSpan.Zero : until;
                }
            }
            catch (System.Data.Common.DbException e) { logger.LogWarning("Could not read the next delivery's time: {Message}", e.Message); }
            try { await wake.WaitAsync(wait, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
        if (held)
            try { leases.Release(LeaseName); }
            catch (System.Data.Common.DbException e) { logger.LogWarning("Could not release the {Lease} lease (it expires by itself): {Message}", LeaseName, e.Message); }
    }

    /// <returns>whether there was anything to do (then the next round starts at once)</returns>
    public async Task<bool> RoundAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = deliveries.Due(now.ToUnixTimeMilliseconds(), 500);
        if (due.Count == 0) return false;

        foreach (var held in due.Where(d => d.Held != 0).GroupBy(d => d.ChannelId))
        {
            var rows = held.ToList();
            await deliveries.DigestAsync(rows[0].ProjectId, held.Key, rows, now.ToUnixTimeMilliseconds());
        }

        var sends = new List<AlertDelivery>();
        var holds = new List<(string, long)>();
        foreach (var d in due.Where(d => d.Held == 0))
        {
            if (d.Attempts == 0 && Triggers.Contains(d.Trigger))
            {
                if (!floods.TryGetValue(d.ChannelId, out var window) || now >= window.Start + schedule.FloodWindow)
                    floods[d.ChannelId] = window = new FloodWindow(now);
                if (window.Sent >= FloodLimit)
                {
                    holds.Add((d.Id, (window.Start + schedule.FloodWindow).ToUnixTimeMilliseconds()));
                    continue;
                }
                window.Sent++;
            }
            sends.Add(d);
        }
        if (holds.Count > 0) await deliveries.HoldAsync(holds);
        await Parallel.ForEachAsync(sends, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (d, token) => await AttemptAsync(d, token));
        return true;
    }

    /// <summary>One attempt of one delivery, recorded whatever happens.</summary>
    public async Task AttemptAsync(AlertDelivery d, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var channel = alerts.Channel(d.ProjectId, d.ChannelId);
        var message = channel is null ? null : messages.Build(d, channel);
        if (channel is null || message is null)
        {
            await deliveries.RecordAsync(d, false, null, channel is null ? "The channel was deleted." : "The issue no longer exists.", now.ToUnixTimeMilliseconds(), null);
            return;
        }
        if (channel.Kind == "email" && !EmailBudgetLeft(now))
        {
            var later = now + schedule.FloodWindow;
            await deliveries.PostponeAsync(d.Id, later.ToUnixTimeMilliseconds(), $"Waiting: KESTREL_ALERTS_EMAILS_PER_HOUR ({options.AlertsEmailsPerHour}) e-mails were sent in the last hour.");
            return;
        }
        // The lease covers the longest attempt; a crash before the result is recorded means one more attempt after the restart.
        if (!await deliveries.ClaimAsync(d, (now + TimeSpan.FromSeconds(60)).ToUnixTimeMilliseconds())) return; // another dispatcher has it
        var result = await sender.SendAsync(message, channel, cancellationToken);
        var after = time.GetUtcNow();
        if (result.Delivered)
        {
            await deliveries.RecordAsync(d, true, result.Code, null, after.ToUnixTimeMilliseconds(), null);
            return;
        }
        var next = result.Retry ? schedule.Next(DateTimeOffset.FromUnixTimeMilliseconds(d.CreatedAt), after, d.Attempts + 1, result.RetryAfter) : null;
        var error = result.Retry && next is null ? result.Error + $" Given up after {schedule.GiveUpAfter.TotalHours:0.#} h of retries." : result.Error;
        logger.LogWarning("Alert delivery {Id} to channel {Channel} failed (attempt {Attempt}): {Error}", d.Id, d.ChannelId, d.Attempts + 1, error);
        await deliveries.RecordAsync(d, false, result.Code, error, after.ToUnixTimeMilliseconds(), next?.ToUnixTimeMilliseconds());
    }

    /// <summary>The delivery log keeps what events keep: finished deliveries older than the retention go, hourly.</summary>
    private async Task PruneHourlyAsync()
    {
        var now = time.GetUtcNow();
        if (now - lastPrune < TimeSpan.FromHours(1)) return;
        lastPrune = now;
        await deliveries.PruneAsync((now - TimeSpan.FromDays(options.RetentionDays)).ToUnixTimeMilliseconds());
    }

    private bool EmailBudgetLeft(DateTimeOffset now) =>
        deliveries.EmailsSince((now - TimeSpan.FromHours(1)).ToUnixTimeMilliseconds()) < options.AlertsEmailsPerHour;
}
