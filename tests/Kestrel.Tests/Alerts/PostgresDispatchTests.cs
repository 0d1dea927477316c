using Kestrel.Alerts;
using Kestrel.Platform;
using Kestrel.Projects;
using Kestrel.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kestrel.Tests.Alerts;

/// <summary>
/// Alert dispatch with several nodes on one PostgreSQL database (PostgresCluster): each node is the alert services of a
/// Kestrel process (its own pool, writer, lease holder id, dispatcher), sending to a real HTTP receiver on loopback.
/// </summary>
[Trait("Engine", "both")] // picks its engine itself: PostgreSQL
public sealed class PostgresDispatchTests : IAsyncLifetime
{
    private readonly List<ServiceProvider> nodes = [];
    private KestrelOptions options = null!;
    private AlertReceiver receiver = null!;
    private long projectId;
    private long channelId;

    public async Task InitializeAsync()
    {
        receiver = await AlertReceiver.StartAsync();
        options = new KestrelOptions
        {
            DatabaseUrl = await PostgresCluster.CreateDatabaseAsync(),
            AlertsAllowPrivateTargets = true,
            PublicUrl = "https://kestrel.example.test",
        };
        var database = Database.OpenAndMigrate(options);
        projectId = new ProjectStore(database).Create("shop", 0).Project.Id;
        var first = await NodeAsync();
        channelId = (await first.GetRequiredService<AlertStore>().CreateChannelAsync(projectId,
            new ChannelDraft("hook", "webhook", receiver.Url("/hook"), null, null), 0)).Id;
    }

    public async Task DisposeAsync()
    {
        foreach (var node in nodes)
        {
            foreach (var service in node.GetServices<IHostedService>().Reverse()) await service.StopAsync(CancellationToken.None);
            await node.DisposeAsync();
        }
        await receiver.DisposeAsync();
    }

    /// <summary>A node with its writer running; its dispatcher starts only when the test says.</summary>
    private async Task<ServiceProvider> NodeAsync()
    {
        var node = new ServiceCollection()
            .AddLogging(l => l.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton(options)
            .AddSingleton(new Database(options))
            .AddSingleton(TimeProvider.System)
            .AddSingleton<DatabaseWriter>()
            .AddHostedService(s => s.GetRequiredService<DatabaseWriter>())
            .AddAlerts()
            .BuildServiceProvider();
        await node.GetRequiredService<DatabaseWriter>().StartAsync(CancellationToken.None);
        nodes.Add(node);
        return node;
    }

    private async Task<List<string>> QueueAsync(ServiceProvider node, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
            ids.Add(await node.GetRequiredService<DeliveryStore>().QueueAsync(projectId, channelId, "test", null, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        return ids;
    }

    [Fact]
    public async Task Two_nodes_dispatching_send_each_delivery_once_and_the_survivor_takes_over_when_the_dispatching_node_stops()
    {
        var a = nodes[0];
        var b = await NodeAsync();
        var queued = await QueueAsync(a, 30);
        await Task.WhenAll(a.GetRequiredService<AlertDispatcher>().StartAsync(CancellationToken.None),
            b.GetRequiredService<AlertDispatcher>().StartAsync(CancellationToken.None));

        await receiver.WaitForAsync("/hook", 30);
        var deliveries = a.GetRequiredService<DeliveryStore>();
        await WaitForAsync(() => queued.All(id => deliveries.Get(id)!.Status == "delivered"), "every delivery recorded as delivered");
        Assert.Equal(queued.Order(), receiver.At("/hook").Select(r => r.DeliveryId).Order());

        // The node dispatching stops (and gives its lease up): the other one sends what comes next.
        var holder = a.GetRequiredService<Leases>().Holder(AlertDispatcher.LeaseName);
        var (stopping, surviving) = holder == a.GetRequiredService<Leases>().Node ? (a, b) : (b, a);
        Assert.Equal(surviving == a ? b.GetRequiredService<Leases>().Node : a.GetRequiredService<Leases>().Node, holder);
        await stopping.GetRequiredService<AlertDispatcher>().StopAsync(CancellationToken.None);
        var later = await QueueAsync(surviving, 5);
        await receiver.WaitForAsync("/hook", 35);
        Assert.Equal(surviving.GetRequiredService<Leases>().Node, a.GetRequiredService<Leases>().Holder(AlertDispatcher.LeaseName));
        Assert.Equal(queued.Concat(later).Order(), receiver.At("/hook").Select(r => r.DeliveryId).Order());

        // The delivery log pages by (created_at, id) on PostgreSQL too: every row once, newest first.
        var seen = new List<DeliveryView>();
        string? cursor = null;
        do
        {
            var page = deliveries.List(projectId, 4, cursor);
            seen.AddRange(page.Deliveries);
            cursor = page.NextCursor;
        } while (cursor is not null);
        Assert.Equal(queued.Concat(later).Order(), seen.Select(d => d.Id).Order());
        Assert.Equal(seen.OrderByDescending(d => d.CreatedAt).Select(d => d.CreatedAt), seen.Select(d => d.CreatedAt));
    }

    [Fact]
    public async Task Nodes_attempting_the_same_due_deliveries_at_once_send_each_once()
    {
        // As if two dispatchers worked at once (one kept running after its lease moved): the claim decides.
        var a = nodes[0];
        var b = await NodeAsync();
        var queued = await QueueAsync(a, 20);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1;
        using var start = new Barrier(2);
        await Task.WhenAll(new[] { a, b }.Select(node => Task.Run(async () =>
        {
            var due = node.GetRequiredService<DeliveryStore>().Due(now, 100);
            start.SignalAndWait();
            foreach (var d in due) await node.GetRequiredService<AlertDispatcher>().AttemptAsync(d, CancellationToken.None);
        })));

        Assert.Equal(queued.Order(), receiver.At("/hook").Select(r => r.DeliveryId).Order());
        var deliveries = a.GetRequiredService<DeliveryStore>();
        Assert.All(queued, id => Assert.Equal((1L, "delivered"), (deliveries.Get(id)!.Attempts, deliveries.Get(id)!.Status)));
    }

    [Fact]
    public async Task The_cli_sends_a_test_itself_when_no_node_dispatches_and_through_the_dispatching_node_otherwise()
    {
        using var data = new TempDirectory();
        var environment = new Dictionary<string, string>
        {
            ["KESTREL_DATABASE_URL"] = options.DatabaseUrl!,
            ["KESTREL_ALERTS_ALLOW_PRIVATE_TARGETS"] = "true",
        };
        var alone = await KestrelProcess.RunAsync(data.Path, environment, "alerts", "test", channelId.ToString(), "--json");
        Assert.True(alone.ExitCode == 0, alone.Stdout + alone.Stderr);
        Assert.Equal(alone.Json.GetProperty("id").GetString(), Assert.Single(receiver.At("/hook")).DeliveryId);
        Assert.Null(nodes[0].GetRequiredService<Leases>().Holder(AlertDispatcher.LeaseName)); // the command gave the lease back

        await nodes[0].GetRequiredService<AlertDispatcher>().StartAsync(CancellationToken.None);
        await WaitForAsync(() => nodes[0].GetRequiredService<Leases>().Holder(AlertDispatcher.LeaseName) is not null, "the node taking the dispatch lease");
        var through = await KestrelProcess.RunAsync(data.Path, environment, "alerts", "test", channelId.ToString(), "--json");
        Assert.True(through.ExitCode == 0, through.Stdout + through.Stderr);
        Assert.Equal(2, receiver.At("/hook").Count);
        Assert.Equal(nodes[0].GetRequiredService<Leases>().Node, nodes[0].GetRequiredService<Leases>().Holder(AlertDispatcher.LeaseName));
        Assert.Empty(Directory.GetFileSystemEntries(data.Path)); // PostgreSQL mode writes nothing to the data directory

        var missing = await KestrelProcess.RunAsync(data.Path, environment, "alerts", "test", "999");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("There is no alert channel 999.", missing.Stderr);
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"Never saw {what}.");
            await Task.Delay(50);
        }
    }
}
