namespace Kestrel.Alerts;

/// <summary>
/// "Send test" (API, page, CLI) and the check of a channel's address when it is saved: both tell the
/// user at once what a real notification would meet, and a test takes exactly the outbox path.
/// </summary>
public sealed class AlertTesting(AlertStore alerts, DeliveryStore deliveries, AlertDispatcher dispatcher, Platform.KestrelOptions options, TimeProvider time)
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <returns>the delivery after its first attempt (or still pending after 20 s); null when there is no such channel</returns>
    public async Task<AlertDelivery?> SendTestAsync(long projectId, long channelId, CancellationToken cancellationToken)
    {
        if (alerts.Channel(projectId, channelId) is null) return null;
        var id = await deliveries.QueueAsync(projectId, channelId, "test", null, time.GetUtcNow().ToUnixTimeMilliseconds());
        dispatcher.Wake();
        return await WaitForAttemptAsync(deliveries, id, cancellationToken);
    }

    /// <summary>Polls until the delivery's first attempt is recorded, or <see cref="Wait"/> has passed.</summary>
    public static async Task<AlertDelivery> WaitForAttemptAsync(DeliveryStore deliveries, string id, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            var d = deliveries.Get(id)!;
            if (Attempted(d) || DateTime.UtcNow > deadline) return d;
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Whether the delivery's first attempt is recorded (or it went another way: failed at once, carried by a digest).</summary>
    public static bool Attempted(AlertDelivery d) => d.Status != "pending" || d.Error is not null || d.HttpStatus is not null;

    /// <summary>A sentence naming url when the channel's host may not be reached; null when it may, or cannot be resolved now.</summary>
    public async Task<string?> TargetProblemAsync(ChannelDraft? draft, CancellationToken cancellationToken)
    {
        if (draft?.Url is not { } url || !AlertKinds.SendsHttp(draft.Kind!)) return null;
        try { await GuardedHttp.ResolveAsync(new Uri(url).IdnHost, options.AlertsAllowPrivateTargets, cancellationToken); }
        catch (TargetRefusedException e) { return "url: " + e.Message; }
        catch (HttpRequestException) { /* DNS may be down now; the dispatcher will say so per delivery */ }
        return null;
    }
}
