using System.Net;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Alerts;

/// <summary>Every chat format and the webhook, sent by the real server to a real receiver, checked against each target's rules.</summary>
public sealed class AlertFormatTests
{
    private static readonly string[] Kinds = ["webhook", "slack", "discord", "teams", "googlechat"];
    private const string Secret = "s3cret-for-signing";

    private static async Task<long[]> ChannelsAsync(TestProject project, AlertReceiver receiver)
    {
        var ids = new List<long>();
        foreach (var kind in Kinds)
            ids.Add(await AlertApi.ChannelAsync(project, kind == "webhook"
                ? new { name = kind, kind, url = receiver.Url("/" + kind), secret = Secret }
                : new { name = kind, kind, url = receiver.Url("/" + kind) }));
        return ids.ToArray();
    }

    [Fact]
    public async Task A_hostile_new_issue_reaches_every_format_escaped_within_limits_and_says_what_happened_in_its_first_line()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        await using var server = await KestrelServer.StartAsync(AlertApi.Settings());
        var project = await server.CreateProjectAsync("Shop <b>front</b>");
        var channels = await ChannelsAsync(project, receiver);
        await AlertApi.RuleAsync(project, new { name = "every new issue", trigger = "new_issue", channel_ids = channels });

        var hostile = "<script>alert(1)</script> @channel @everyone <!channel> <https://evil.example|click> *bold* [x](https://evil.example) "
            + new string('A', 10 * 1024);
        await project.IngestAsync(AlertApi.Event(hostile, environment: "prod <i>eu</i>", release: "1.2.3", user: "u-1"));

        var all = await receiver.WaitForAsync(r => Kinds.All(k => r.Any(x => x.Path == "/" + k)), what: "one message per format");
        foreach (var kind in Kinds)
        {
            var r = Assert.Single(all, x => x.Path == "/" + kind);
            TargetSchemas.Check(kind, r, kind == "webhook" ? Secret : null);
            if (kind == "webhook") continue; // a program reads it: the values are raw, escaped only as JSON
            // The users affected are one of the facts under the headline (a name, then its value; Slack writes both in one string).
            var strings = TargetSchemas.Strings(r.Json).ToList();
            Assert.True(kind == "slack" ? strings.Contains("*Users:* 1") : strings.IndexOf("Users") is >= 0 and var at && strings[at + 1] == "1",
                $"{kind} has the fact Users: 1");
            // Never a live mention, never markup the target would render, whatever the event said.
            foreach (var text in TargetSchemas.Strings(r.Json))
            {
                Assert.DoesNotContain("@channel", text);
                Assert.DoesNotContain("@everyone", text);
                Assert.DoesNotContain("<!channel>", text);
                Assert.DoesNotContain("<script>", text);
                Assert.DoesNotContain("[x](", text);
            }
        }

        var webhook = all.Single(r => r.Path == "/webhook").Json;
        Assert.Equal("new_issue", webhook.GetProperty("trigger").GetString());
        Assert.Equal("prod <i>eu</i>", webhook.GetProperty("event").GetProperty("environment").GetString());
        Assert.Equal("1.2.3", webhook.GetProperty("event").GetProperty("release").GetString());
        Assert.Equal(1, webhook.GetProperty("issue").GetProperty("usersAffected").GetInt64());
        var issueUrl = webhook.GetProperty("issue").GetProperty("url").GetString()!;
        Assert.Matches($"^https://kestrel.example.test/projects/{project.Slug}/issues/[0-9]+$", issueUrl);
        Assert.StartsWith("New issue in project Shop <b>front</b> (prod <i>eu</i>): <script>", webhook.GetProperty("text").GetString());
        Assert.EndsWith(issueUrl, webhook.GetProperty("text").GetString());

        // The first line of each chat format: what happened, the project, the environment, and the link, escaped for the target.
        var slack = all.Single(r => r.Path == "/slack").Json.GetProperty("text").GetString()!;
        Assert.StartsWith("New issue in project Shop &lt;b&gt;front&lt;/b&gt; (prod &lt;i&gt;eu&lt;/i&gt;): &lt;script&gt;", slack);
        Assert.EndsWith(issueUrl, slack);
        var discord = all.Single(r => r.Path == "/discord").Json.GetProperty("content").GetString()!;
        Assert.StartsWith("New issue in project Shop \\<b\\>front\\<", discord);
        Assert.EndsWith(issueUrl, discord);
        var chat = all.Single(r => r.Path == "/googlechat").Json.GetProperty("text").GetString()!;
        Assert.StartsWith("New issue in project Shop ‹b›front‹/b› (prod ‹i›eu‹/i›)", chat);
        Assert.EndsWith(issueUrl, chat);
        var teams = all.Single(r => r.Path == "/teams").Json.GetProperty("attachments")[0].GetProperty("content").GetProperty("body")[0].GetProperty("text").GetString()!;
        Assert.StartsWith("New issue in project Shop \\<b\\>front", teams);
    }

    [Fact]
    public async Task Send_test_goes_through_the_outbox_to_every_kind_and_answers_with_the_attempt()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        await using var server = await KestrelServer.StartAsync(AlertApi.Settings());
        var project = await server.CreateProjectAsync();
        var channels = await ChannelsAsync(project, receiver);
        foreach (var (id, kind) in channels.Zip(Kinds))
        {
            var (status, delivery) = await AlertApi.SendAsync(project, HttpMethod.Post, $"/api/alerts/channels/{id}/test");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("delivered", delivery.GetProperty("status").GetString());
            Assert.Equal("test", delivery.GetProperty("trigger").GetString());
            Assert.Equal(200, delivery.GetProperty("httpStatus").GetInt32());
            var r = Assert.Single(receiver.At("/" + kind));
            Assert.Equal(delivery.GetProperty("id").GetString(), r.DeliveryId);
            TargetSchemas.Check(kind, r, kind == "webhook" ? Secret : null);
        }
        var log = await AlertApi.DeliveriesAsync(project);
        Assert.Equal(Kinds.Length, log.Length);
        Assert.All(log, d => Assert.Equal("delivered", d.GetProperty("status").GetString()));
    }
}
