using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Alerts;

/// <summary>Retries, give-ups, restarts, the flood guard and the SSRF guard, with a real server and a real receiver.</summary>
public sealed class AlertDeliveryTests
{
    private static async Task<(TestProject Project, long Channel)> SetUpAsync(KestrelServer server, AlertReceiver receiver, string path = "/hook")
    {
        var project = await server.CreateProjectAsync();
        var channel = await AlertApi.ChannelAsync(project, new { name = "hook", kind = "webhook", url = receiver.Url(path) });
        await AlertApi.RuleAsync(project, new { name = "new", trigger = "new_issue", channel_ids = new[] { channel } });
        return (project, channel);
    }

    private static string Status(JsonElement d) => d.GetProperty("status").GetString()!;

    [Fact]
    public async Task Two_500s_then_a_200_is_delivered_on_the_third_attempt_with_one_delivery_id()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        await using var server = await KestrelServer.StartAsync(AlertApi.Settings(retryBase: 0.2));
        var (project, _) = await SetUpAsync(server, receiver);
        receiver.Script("/hook", (500, null), (500, null));

        await project.IngestAsync(AlertApi.Event("flaky target"));
        var log = await AlertApi.WaitForDeliveriesAsync(project, all => all.Length == 1 && Status(all[0]) == "delivered");

        var requests = receiver.At("/hook");
        Assert.Equal([500, 500, 200], requests.Select(r => r.AnsweredWith));
        Assert.Single(requests.Select(r => r.DeliveryId).Distinct());
        Assert.Equal(log[0].GetProperty("id").GetString(), requests[0].DeliveryId);
        Assert.Equal(3, log[0].GetProperty("attempts").GetInt32());
        Assert.Equal(200, log[0].GetProperty("httpStatus").GetInt32());
        // The schedule (0.2 s, then 0.8 s) was waited out, not skipped.
        Assert.True(requests[2].At - requests[1].At >= TimeSpan.FromSeconds(0.7), $"{requests[2].At - requests[1].At}");
    }

    [Fact]
    public async Task A_429_with_Retry_After_is_retried_no_sooner_than_asked_and_a_404_fails_at_once_as_the_channels_last_failure()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        await using var server = await KestrelServer.StartAsync(AlertApi.Settings(retryBase: 0.2));
        var (project, _) = await SetUpAsync(server, receiver, "/busy");
        var gone = await AlertApi.ChannelAsync(project, new { name = "gone", kind = "slack", url = receiver.Url("/gone") });
        await AlertApi.RuleAsync(project, new { name = "to gone", trigger = "new_issue", channel_ids = new[] { gone } });
        receiver.Script("/busy", (429, "2"));
        receiver.Script("/gone", (404, null));

        await project.IngestAsync(AlertApi.Event("rate limited"));
        var log = await AlertApi.WaitForDeliveriesAsync(project, all => all.Length == 2 && all.All(d => Status(d) != "pending"));

        var busy = receiver.At("/busy");
        Assert.Equal([429, 200], busy.Select(r => r.AnsweredWith));
        Assert.True(busy[1].At - busy[0].At >= TimeSpan.FromSeconds(1.9), $"retried after {busy[1].At - busy[0].At}, asked for 2 s");

        var failed = Assert.Single(log, d => d.GetProperty("channelId").GetInt64() == gone);
        Assert.Equal("failed", Status(failed));
        Assert.Equal(1, failed.GetProperty("attempts").GetInt32());
        Assert.Equal(404, failed.GetProperty("httpStatus").GetInt32());
        Assert.Contains("404", failed.GetProperty("error").GetString());
        Assert.Single(receiver.At("/gone"));
        var channel = await project.GetJsonAsync("/api/alerts/channels");
        var shown = channel.GetProperty("channels").EnumerateArray().Single(c => c.GetProperty("id").GetInt64() == gone);
        Assert.Contains("404", shown.GetProperty("lastError").GetString());
        Assert.True(shown.TryGetProperty("lastErrorAt", out _));
    }

    [Fact]
    public async Task A_target_that_never_answers_well_is_given_up_after_the_scaled_24_hours()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        // Base 0.01 s: the schedule's 24 h become 28.8 s, its steps 0.01, 0.04, 0.2, 1.2, then 7.2 s.
        await using var server = await KestrelServer.StartAsync(AlertApi.Settings(retryBase: 0.01));
        var (project, _) = await SetUpAsync(server, receiver);
        receiver.Script("/hook", Enumerable.Repeat((503, (string?)null), 100).ToArray());
        await project.IngestAsync(AlertApi.Event("always down"));
        var log = await AlertApi.WaitForDeliveriesAsync(project, all => all.Length == 1 && Status(all[0]) == "failed", seconds: 120);
        Assert.Contains("Given up", log[0].GetProperty("error").GetString());
        // Attempts at 0, 0.01, 0.05, 0.25, 1.45, 8.65, 15.85 and 23.05 s; a 9th at 30.25 s would be past 28.8 s.
        // A busy machine makes each attempt later, so one or two fewer may fit; never more.
        var attempts = log[0].GetProperty("attempts").GetInt32();
        Assert.InRange(attempts, 6, 8);
        Assert.Equal(attempts, receiver.At("/hook").Count);
    }

    [Fact]
    public async Task A_restart_while_a_delivery_waits_for_its_retry_delivers_it_after_the_restart_exactly_once()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        using var data = new TempDirectory();
        var settings = AlertApi.Settings(retryBase: 3); // the first retry waits 3 s: long enough to restart in between
        TestProject project;
        await using (var first = await KestrelServer.StartAsync(settings, data.Path))
        {
            (project, _) = await SetUpAsync(first, receiver);
            receiver.Script("/hook", (500, null));
            await project.IngestAsync(AlertApi.Event("during restart"));
            await AlertApi.WaitForDeliveriesAsync(project, all => all.Length == 1 && all[0].GetProperty("attempts").GetInt32() == 1 && all[0].TryGetProperty("httpStatus", out _));
            await first.KillAsync();
        }
        await using var second = await KestrelServer.StartAsync(settings, data.Path);
        project = project with { Server = second };
        var log = await AlertApi.WaitForDeliveriesAsync(project, all => all.Length == 1 && Status(all[0]) == "delivered");

        var requests = receiver.At("/hook");
        Assert.Equal([500, 200], requests.Select(r => r.AnsweredWith));
        Assert.Single(requests.Select(r => r.DeliveryId).Distinct());
        Assert.Equal(log[0].GetProperty("id").GetString(), requests[1].DeliveryId);
        Assert.Single(requests, r => r.AnsweredWith == 200);
    }

    [Fact]
    public async Task A_flood_of_200_new_issues_sends_20_notifications_and_one_digest_for_the_rest()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        // Base 5 s: the flood guard's minute is 10 s, in which two requests of 100 events (the most one may hold) arrive.
        await using var server = await KestrelServer.StartAsync(AlertApi.Settings(retryBase: 5));
        var (project, _) = await SetUpAsync(server, receiver);
        foreach (var part in Enumerable.Range(0, 200).Chunk(100))
        {
            var events = part.Select(i => JsonDocument.Parse(AlertApi.Event($"flood {i}")).RootElement).ToArray();
            using var response = await project.SendAsync(HttpMethod.Post, "/api/events", System.Net.Http.Json.JsonContent.Create(events));
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        var all = await receiver.WaitForAsync(r => r.Any(x => x.Json.GetProperty("trigger").GetString() == "digest"), seconds: 60, what: "the digest");
        var log = await AlertApi.WaitForDeliveriesAsync(project, d => d.All(x => Status(x) != "pending"));
        all = receiver.At("/hook");
        Assert.Equal(20, all.Count(r => r.Json.GetProperty("trigger").GetString() == "new_issue"));
        var digest = Assert.Single(all, r => r.Json.GetProperty("trigger").GetString() == "digest").Json;
        Assert.Equal(21, all.Count);
        Assert.Equal(180, digest.GetProperty("digest").GetProperty("count").GetInt32());
        Assert.StartsWith("And 180 more new issues in project app", digest.GetProperty("text").GetString());
        Assert.Contains($"/projects/{project.Slug}/issues?status=open&sort=first_seen", digest.GetProperty("text").GetString());
        // Each of the 180 is logged as carried by the digest (the log's 201 rows take two pages).
        Assert.Equal(201, log.Length);
        Assert.Equal(201, log.Select(d => d.GetProperty("id").GetString()).Distinct().Count());
        var digestId = log.Single(d => d.GetProperty("trigger").GetString() == "digest").GetProperty("id").GetString();
        Assert.Equal(180, log.Count(d => d.TryGetProperty("digestId", out var id) && id.GetString() == digestId));
    }

    [Fact]
    public async Task With_private_targets_refused_a_loopback_webhook_is_refused_on_save_and_on_send_and_the_receiver_gets_nothing()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        using var data = new TempDirectory();
        TestProject project;
        // Saved while allowed (an intranet Mattermost, say) ...
        await using (var allowed = await KestrelServer.StartAsync(AlertApi.Settings(), data.Path))
            (project, _) = await SetUpAsync(allowed, receiver);
        // ... then the operator turns private targets off.
        await using var server = await KestrelServer.StartAsync(AlertApi.Settings(allowPrivate: false), data.Path);
        project = project with { Server = server };

        foreach (var url in new[] { receiver.Url("/new"), $"http://localhost:{receiver.Address.Port}/new", $"http://[::1]:{receiver.Address.Port}/new",
                     $"http://[::ffff:127.0.0.1]:{receiver.Address.Port}/new", "http://169.254.169.254/latest/meta-data/" })
        {
            var (status, body) = await AlertApi.SendAsync(project, HttpMethod.Post, "/api/alerts/channels", new { name = "inner", kind = "webhook", url });
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, status);
            Assert.StartsWith("url: Refused:", body.GetProperty("error").GetString());
        }

        await project.IngestAsync(AlertApi.Event("to loopback"));
        var log = await AlertApi.WaitForDeliveriesAsync(project, all => all.Length == 1 && Status(all[0]) == "failed");
        Assert.Contains("127.0.0.1 is a loopback address", log[0].GetProperty("error").GetString());
        var (_, test) = await AlertApi.SendAsync(project, HttpMethod.Post, $"/api/alerts/channels/{log[0].GetProperty("channelId").GetInt64()}/test");
        Assert.Equal("failed", Status(test));
        Assert.Contains("KESTREL_ALERTS_ALLOW_PRIVATE_TARGETS", test.GetProperty("error").GetString());
        Assert.Empty(receiver.All);
    }
}
