using System.Text.Json;
using Dapper;
using Kestrel.Alerts;
using Kestrel.Platform;
using Microsoft.Data.Sqlite;

namespace Kestrel.Cli;

/// <summary>
/// <c>kestrel alerts test CHANNEL_ID</c>: queues a test notification in the outbox, like "Send test" in the
/// UI. With the server running, its dispatcher sends it and this command waits for the first attempt;
/// with the server stopped, this command runs the same dispatcher code itself. Exit 0 when delivered.
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
            using (var connection = database.Open())
                projectId = connection.QuerySingleOrDefault<long?>("SELECT project_id FROM alert_channels WHERE id = @channelId", new { channelId });
            if (projectId is null) return CommandLine.Fail($"There is no alert channel {channelId}.");

            using var serverLock = DataDirectoryLock.TryAcquire(new DataDirectory(options));
            await using var services = Services(options, database);
            var writer = services.GetRequiredService<DatabaseWriter>();
            if (serverLock is not null) await writer.StartAsync(CancellationToken.None);
            var deliveries = services.GetRequiredService<DeliveryStore>();
            string id;
            if (serverLock is null)
            {
                // The server's writer owns writes while it runs; this one short insert waits for its lock like any CLI write.
                id = Guid.NewGuid().ToString();
                using var connection = database.Open();
                connection.Execute("""
                    INSERT INTO alert_deliveries (id, project_id, channel_id, trigger, created_at, next_attempt_at)
                    VALUES (@id, @projectId, @channelId, 'test', @now, @now)
                    """, new { id, projectId, channelId, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
            }
            else
            {
                id = await deliveries.QueueAsync(projectId.Value, channelId, "test", null, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                await services.GetRequiredService<AlertDispatcher>().AttemptAsync(deliveries.Get(id)!, CancellationToken.None);
            }
            var delivery = await AlertTesting.WaitForAttemptAsync(deliveries, id, CancellationToken.None);
            if (serverLock is not null) await writer.StopAsync(CancellationToken.None);
            return Print(DeliveryView.From(delivery), command.Json);
        }
        catch (SqliteException e) { return CommandLine.Fail($"The database {options.DatabasePath} cannot be used: {e.Message}"); }
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
