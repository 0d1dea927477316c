using Kestrel.Tests.Support;

namespace Kestrel.Tests.Alerts;

/// <summary>When rules fire: new issues, regressions, spikes, their filters and cooldowns, against the real server and a real receiver.</summary>
public sealed class AlertTriggerTests
{
    private static async Task<(KestrelServer Server, TestProject Project, long Channel)> StartAsync(AlertReceiver receiver, string path = "/hook")
    {
        var server = await KestrelServer.StartAsync(AlertApi.Settings());
        var project = await server.CreateProjectAsync();
        var channel = await AlertApi.ChannelAsync(project, new { name = "hook", kind = "webhook", url = receiver.Url(path) });
        return (server, project, channel);
    }

    /// <summary>The triggers the receiver got, leaving out the markers' own alerts.</summary>
    private static string[] Triggers(AlertReceiver receiver, string path = "/hook") =>
        receiver.At(path).Where(r => !r.Json.GetProperty("issue").GetProperty("title").GetString()!.StartsWith("marker", StringComparison.Ordinal))
            .Select(r => r.Json.GetProperty("trigger").GetString()!).ToArray();

    /// <summary>
    /// A marker event through its own rule; once the marker's delivery is logged and nothing is pending,
    /// every decision made before it has been sent (the outbox is sent oldest first).
    /// </summary>
    private static async Task FlushAsync(TestProject project, AlertReceiver receiver, long channel)
    {
        await AlertApi.RuleAsync(project, new { name = "marker", trigger = "new_issue", channel_ids = new[] { channel }, environment = "marker" });
        await project.IngestAsync(AlertApi.Event("marker", environment: "marker"));
        await receiver.WaitForAsync(all => all.Any(r => r.Text.Contains("\"marker\"", StringComparison.Ordinal)), what: "the marker");
        await AlertApi.WaitForDeliveriesAsync(project, all => all.All(d => d.GetProperty("status").GetString() != "pending"));
    }

    [Fact]
    public async Task A_new_issue_fires_once_and_a_regression_fires_again_after_the_issue_was_resolved()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        var (server, project, channel) = await StartAsync(receiver);
        await using var _ = server;
        await AlertApi.RuleAsync(project, new { name = "new", trigger = "new_issue", channel_ids = new[] { channel } });
        await AlertApi.RuleAsync(project, new { name = "back", trigger = "regression", channel_ids = new[] { channel } });

        await project.IngestAsync(AlertApi.Event("boom"));
        await project.IngestAsync(AlertApi.Event("boom"));
        await receiver.WaitForAsync("/hook", 1);
        var issueId = (await project.IssuesAsync())[0].GetProperty("id").GetInt64();
        await project.PatchAsync(issueId, new { status = "resolved" });
        await project.IngestAsync(AlertApi.Event("boom"));
        var all = await receiver.WaitForAsync("/hook", 2);
        await FlushAsync(project, receiver, channel);

        Assert.Equal(["new_issue", "regression"], Triggers(receiver));
        var regression = receiver.At("/hook")[1].Json;
        Assert.Equal(issueId, regression.GetProperty("issue").GetProperty("id").GetInt64());
        Assert.Equal("back", regression.GetProperty("rule").GetProperty("name").GetString());
        Assert.Equal("open", regression.GetProperty("issue").GetProperty("status").GetString());
        Assert.StartsWith("Regression in project app (production): boom", regression.GetProperty("text").GetString());
        Assert.NotEqual(all[0].DeliveryId, all[1].DeliveryId);
    }

    [Fact]
    public async Task A_spike_fires_when_the_threshold_is_reached_within_the_window_and_not_again_during_the_cooldown()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        var (server, project, channel) = await StartAsync(receiver);
        await using var _ = server;
        await AlertApi.RuleAsync(project, new { name = "spike", trigger = "spike", threshold = 3, window_minutes = 5, channel_ids = new[] { channel } });

        await project.IngestAsync(AlertApi.Event("busy"));
        await project.IngestAsync(AlertApi.Event("busy"));
        await FlushAsync(project, receiver, channel);
        Assert.DoesNotContain("spike", Triggers(receiver)); // two events: under the threshold

        await project.IngestAsync(AlertApi.Event("busy"));
        await receiver.WaitForAsync(all => all.Any(r => r.Text.Contains("\"spike\"", StringComparison.Ordinal)), what: "the spike");
        for (var i = 0; i < 5; i++) await project.IngestAsync(AlertApi.Event("busy")); // inside the 60-minute cooldown
        await project.IngestAsync(AlertApi.Event("marker 2", environment: "marker"));
        await receiver.WaitForAsync(all => all.Any(r => r.Text.Contains("marker 2", StringComparison.Ordinal)), what: "the second marker");
        await AlertApi.WaitForDeliveriesAsync(project, all => all.All(d => d.GetProperty("status").GetString() != "pending"));

        var spike = Assert.Single(receiver.At("/hook"), r => r.Json.GetProperty("trigger").GetString() == "spike").Json;
        Assert.Contains("(3+ events in 5 min)", spike.GetProperty("text").GetString());
        Assert.Equal(3, spike.GetProperty("issue").GetProperty("eventCount").GetInt64());
    }

    [Fact]
    public async Task With_no_cooldown_a_spike_rule_fires_again_and_events_outside_the_window_do_not_count()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        var (server, project, channel) = await StartAsync(receiver);
        await using var _ = server;
        await AlertApi.RuleAsync(project, new { name = "every 2", trigger = "spike", threshold = 2, window_minutes = 1, cooldown_minutes = 0, channel_ids = new[] { channel } });
        // An event that happened long ago but is received now counts: the window is about arrival.
        for (var i = 0; i < 3; i++) await project.IngestAsync(AlertApi.Event("hot"));
        await FlushAsync(project, receiver, channel);
        Assert.Equal(2, Triggers(receiver).Count(t => t == "spike")); // the 2nd and the 3rd event each see 2 in the window
    }

    [Fact]
    public async Task Level_and_environment_filters_pick_the_events_that_fire()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        var (server, project, channel) = await StartAsync(receiver);
        await using var _ = server;
        await AlertApi.RuleAsync(project, new { name = "prod errors", trigger = "new_issue", level = "error", environment = "production", channel_ids = new[] { channel } });

        await project.IngestAsync(AlertApi.Event("just a warning", level: "warning"));
        await project.IngestAsync(AlertApi.Event("staging error", environment: "staging"));
        await project.IngestAsync(AlertApi.Event("no environment", environment: null));
        await project.IngestAsync(AlertApi.Event("fatal in prod", level: "fatal"));
        await project.IngestAsync(AlertApi.Event("error in prod"));
        await FlushAsync(project, receiver, channel);

        var titles = receiver.At("/hook").Select(r => r.Json.GetProperty("issue").GetProperty("title").GetString()!).ToArray();
        Assert.Equal(["error in prod", "fatal in prod", "marker"], titles.Order()); // sent 4 at a time: in any order
    }

    [Fact]
    public async Task A_disabled_rule_fires_nothing_and_a_project_without_rules_sends_nothing()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        var (server, project, channel) = await StartAsync(receiver);
        await using var _ = server;
        var other = await server.CreateProjectAsync("quiet");
        var rule = await AlertApi.RuleAsync(project, new { name = "off", trigger = "new_issue", enabled = false, channel_ids = new[] { channel } });
        await project.IngestAsync(AlertApi.Event("while disabled"));
        await other.IngestAsync(AlertApi.Event("elsewhere"));
        await FlushAsync(project, receiver, channel);
        Assert.Equal(["marker"], receiver.At("/hook").Select(r => r.Json.GetProperty("issue").GetProperty("title").GetString()!).ToArray());

        var (status, body) = await AlertApi.SendAsync(project, HttpMethod.Patch, $"/api/alerts/rules/{rule}", new { enabled = true });
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("enabled").GetBoolean());
        await project.IngestAsync(AlertApi.Event("now enabled"));
        await receiver.WaitForAsync(all => all.Any(r => r.Text.Contains("now enabled", StringComparison.Ordinal)), what: "the enabled rule's alert");
    }
}
