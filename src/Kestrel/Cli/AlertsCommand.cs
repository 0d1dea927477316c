using System.Data.Common;
using System.Text.Json;
using Dapper;
using Kestrel.Alerts;
using Kestrel.Platform;

namespace Kestrel.Cli;

/// <summary>
/// <c>kestrel alerts test CHANNEL_ID</c>: queues a test notification in the outbox, like "Send test" in the UI. Where a
/// dispatcher runs (the server on SQLite; on PostgreSQL whichever node holds the dispatch lease) it sends it, and this
/// command waits for the first attempt; where none runs, this command runs the same dispatcher code itself. Exit 0 when
/// delivered.
/// </summary>
public static class AlertsCommand
{
    private static readonly JsonSerializerOptions Json = new(KestrelJson.Options);

    public static async Task<int> RunAsync(ParsedCommand command)
    {
        if (command.Words is not ["test", var idText] || !long.TryParse(idText, out var channelId))
            return CommandLine.Fail("Use 'kestrel alerts test CHANNEL_ID' (the id is in the Alerts page and in GET /api/alerts/channels).");
        if (CommandLine.LoadOptions(command) is not { } options) return 2;
        try
        {
            var database = Database.OpenAndMigrate(options);
            long? projectId;
            using (var connection = database.Connect())
                projectId = connection.QuerySingleOrDefault<long?>("SELECT project_id FROM alert_channels WHERE id = @channelId", new { channelId });
            if (projectId is null) return CommandLine.Fail($"There is no alert channel {channelId}.");

            // SQLite: a running server holds the data directory's lock, and with it the only dispatcher. PostgreSQL: no
            // data directory is used; the dispatch lease says whether a node dispatches (Leases).
            using var serverLock = database.Engine == DatabaseEngine.Sqlite ? DataDirectoryLock.TryAcquire(new DataDirectory(options)) : null;
            await using var services = Services(options, database);
            var leases = services.GetRequiredService<Leases>();
            var deliveries = services.GetRequiredService<DeliveryStore>();
            var id = Queue(database, projectId.Value, channelId);
            var delivery = await SendOrWaitAsync(services, deliveries, leases, id, dispatchHere: () =>
                database.Engine == DatabaseEngine.Sqlite ? serverLock is not null : leases.TryHold(AlertDispatcher.LeaseName));
            return Print(DeliveryView.From(delivery), command.Json);
        }
        catch (DbException e) { return CommandLine.Fail($"{Database.Describe(options)} cannot be used: {e.Message}"); }
    }

    /// <summary>
    /// One short insert beside whatever else writes (on SQLite it waits for a running server's lock like any CLI write);
    /// it is due at once.
    /// </summary>
    private static string Queue(Database database, long projectId, long channelId)
    {
        var id = Guid.NewGuid().ToString();
        using var connection = database.Connect();
        connection.Execute("""
            INSERT INTO alert_deliveries (id, project_id, channel_id, trigger, created_at, next_attempt_at)
            VALUES (@id, @projectId, @channelId, 'test', @now, @now)
            """, new { id, projectId, channelId, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
        return id;
    }

    /// <summary>
    /// Waits for the dispatcher's first attempt, or makes it here as soon as <paramref name="dispatchHere"/> says no
    /// dispatcher runs. On PostgreSQL a node killed while holding the lease still seems to dispatch until its lease
    /// expires, so the wait is longer there by the lease's life: then this command takes the lease and sends.
    /// </summary>
    private static async Task<AlertDelivery> SendOrWaitAsync(ServiceProvider services, DeliveryStore deliveries, Leases leases, string id, Func<bool> dispatchHere)
    {
        var deadline = DateTime.UtcNow + AlertTesting.Wait + (leases.AlwaysGranted ? TimeSpan.Zero : leases.Ttl);
        while (true)
        {
            var delivery = deliveries.Get(id)!;
            if (AlertTesting.Attempted(delivery) || DateTime.UtcNow > deadline) return delivery;
            if (dispatchHere())
            {
                var writer = services.GetRequiredService<DatabaseWriter>();
                await writer.StartAsync(CancellationToken.None);
                try { await services.GetRequiredService<AlertDispatcher>().AttemptAsync(delivery, CancellationToken.None); }
                finally
                {
                    await writer.StopAsync(CancellationToken.None);
                    if (!leases.AlwaysGranted) leases.Release(AlertDispatcher.LeaseName);
                }
                return deliveries.Get(id)!;
            }
            await Task.Delay(200);
        }
    }

    private static ServiceProvider Services(KestrelOptions options, Database database)
    {
        var services = new ServiceCollection()
            .AddLogging(l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Error))
            .AddSingleton(options)
            .AddSingleton(database)
            .AddSingleton(TimeProvider.System)
            .AddSingleton<DatabaseWriter>()
            .AddAlerts();
        return services.BuildServiceProvider();
    }

    private static int Print(DeliveryView d, bool json)
    {
        if (json) Console.WriteLine(JsonSerializer.Serialize(d, Json));
        else if (d.Status == "delivered") Console.WriteLine($"Delivered test {d.Id} to channel {d.ChannelId} (answer {d.HttpStatus}).");
        else Console.WriteLine($"Not delivered: test {d.Id} to channel {d.ChannelId} is {d.Status}: {d.Error ?? "no attempt yet; is the server's dispatcher running?"}");
        return d.Status == "delivered" ? 0 : 1;
    }
}
