using Kestrel.Tests.Support;

namespace Kestrel.Tests.Alerts;

/// <summary><c>kestrel alerts test CHANNEL_ID</c>, the real binary, with the server running and stopped.</summary>
public sealed class AlertsCommandTests
{
    [Fact]
    public async Task The_cli_sends_a_test_through_the_running_servers_outbox_and_by_itself_when_the_server_is_stopped()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        var settings = AlertApi.Settings();
        long channel;
        string data;
        await using (var server = await KestrelServer.StartAsync(settings))
        {
            data = server.DataDirectory;
            var project = await server.CreateProjectAsync();
            channel = await AlertApi.ChannelAsync(project, new { name = "hook", kind = "webhook", url = receiver.Url("/cli") });

            var running = await KestrelProcess.RunAsync(data, settings, "alerts", "test", channel.ToString(), "--json");
            Assert.True(running.ExitCode == 0, running.Stdout + running.Stderr);
            Assert.Equal("delivered", running.Json.GetProperty("status").GetString());
            Assert.Equal(running.Json.GetProperty("id").GetString(), Assert.Single(receiver.At("/cli")).DeliveryId);
            TargetSchemas.Check("webhook", receiver.At("/cli")[0]);

            var missing = await KestrelProcess.RunAsync(data, settings, "alerts", "test", "999");
            Assert.Equal(2, missing.ExitCode);
            Assert.Contains("There is no alert channel 999.", missing.Stderr);
            await server.KillAsync();

            receiver.Script("/cli", (404, null));
            var stopped = await KestrelProcess.RunAsync(data, settings, "alerts", "test", channel.ToString());
            Assert.Equal(1, stopped.ExitCode);
            Assert.StartsWith("Not delivered:", stopped.Stdout);
            Assert.Contains("answered 404", stopped.Stdout);
            var delivered = await KestrelProcess.RunAsync(data, settings, "alerts", "test", channel.ToString());
            Assert.True(delivered.ExitCode == 0, delivered.Stdout + delivered.Stderr);
            Assert.StartsWith("Delivered test", delivered.Stdout);
        }
        Assert.Equal(3, receiver.At("/cli").Count);
        Assert.Equal(3, receiver.At("/cli").Select(r => r.DeliveryId).Distinct().Count());
    }
}
