using System.Net;
using System.Net.Http.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Alerts;

/// <summary>The alerts REST API: scoping to the caller's project, secrets never returned, bad input refused by name.</summary>
public sealed class AlertApiTests
{
    [Fact]
    public async Task A_token_sees_and_changes_only_its_own_projects_channels_rules_and_deliveries()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        var settings = AlertApi.Settings();
        settings["KESTREL_ADMIN_PASSWORD"] = WebUi.Password;
        settings.Remove("KESTREL_PUBLIC_URL"); // an https:// public URL makes the session cookie Secure, which this http client would not send back
        await using var server = await KestrelServer.StartAsync(settings);
        var a = await server.CreateProjectAsync("alpha");
        var b = await server.CreateProjectAsync("beta");
        var channel = await AlertApi.ChannelAsync(a, new { name = "a hook", kind = "webhook", url = receiver.Url("/a"), secret = "a-secret-value" });
        var rule = await AlertApi.RuleAsync(a, new { name = "a rule", trigger = "new_issue", channel_ids = new[] { channel } });
        await a.IngestAsync(AlertApi.Event("alpha broke"));
        await AlertApi.WaitForDeliveriesAsync(a, all => all.Length == 1);

        Assert.Empty((await b.GetJsonAsync("/api/alerts/channels")).GetProperty("channels").EnumerateArray());
        Assert.Empty((await b.GetJsonAsync("/api/alerts/rules")).GetProperty("rules").EnumerateArray());
        Assert.Empty(await AlertApi.DeliveriesAsync(b));
        foreach (var (method, path, body) in new (HttpMethod, string, object?)[]
                 {
                     (HttpMethod.Patch, $"/api/alerts/channels/{channel}", new { name = "taken" }),
                     (HttpMethod.Delete, $"/api/alerts/channels/{channel}", null),
                     (HttpMethod.Post, $"/api/alerts/channels/{channel}/test", null),
                     (HttpMethod.Patch, $"/api/alerts/rules/{rule}", new { name = "taken" }),
                     (HttpMethod.Delete, $"/api/alerts/rules/{rule}", null),
                 })
        {
            var (status, error) = await AlertApi.SendAsync(b, method, path, body);
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Contains("does not exist in this project", error.GetProperty("error").GetString());
        }
        var (refused, problem) = await AlertApi.SendAsync(b, HttpMethod.Post, "/api/alerts/rules", new { name = "steal", trigger = "new_issue", channel_ids = new[] { channel } });
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.Equal($"channel_ids: channel {channel} does not exist in this project.", problem.GetProperty("error").GetString());
        Assert.Empty(receiver.At("/b"));

        // The public key sends events only; no token is no access.
        var (forbidden, _) = await AlertApi.SendAsync(a, HttpMethod.Get, "/api/alerts/channels", token: a.PublicKey);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
        using (var anonymous = await server.Http.GetAsync("/api/alerts/channels")) Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        // The admin session names the project; the secret is never in an answer, only whether there is one.
        using var admin = await AdminHttp.SignInAsync(server);
        var listed = await admin.Client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/alerts/channels?project={a.Slug}");
        var shown = Assert.Single(listed.GetProperty("channels").EnumerateArray());
        Assert.True(shown.GetProperty("hasSecret").GetBoolean());
        Assert.False(shown.TryGetProperty("secret", out _));
        Assert.DoesNotContain("a-secret-value", shown.ToString());
    }

    [Fact]
    public async Task Changes_are_checked_like_new_ones_and_deleting_a_channel_takes_it_out_of_its_rules()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        await using var server = await KestrelServer.StartAsync(AlertApi.Settings());
        var project = await server.CreateProjectAsync();
        var one = await AlertApi.ChannelAsync(project, new { name = "one", kind = "slack", url = receiver.Url("/one") });
        var two = await AlertApi.ChannelAsync(project, new { name = "two", kind = "discord", url = receiver.Url("/two") });
        var rule = await AlertApi.RuleAsync(project, new { name = "both", trigger = "spike", threshold = 10, window_minutes = 5, channel_ids = new[] { one, two } });

        var (status, error) = await AlertApi.SendAsync(project, HttpMethod.Patch, $"/api/alerts/channels/{one}", new { kind = "teams" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("kind cannot be changed", error.GetProperty("error").GetString());
        (status, error) = await AlertApi.SendAsync(project, HttpMethod.Patch, $"/api/alerts/rules/{rule}", new { window_minutes = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("window_minutes", error.GetProperty("error").GetString());
        (status, error) = await AlertApi.SendAsync(project, HttpMethod.Post, "/api/alerts/channels", new { name = "x", kind = "slack", url = "https://x.example", extra = 1 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("extra is not a field of a channel", error.GetProperty("error").GetString());
        using (var broken = await project.SendAsync(HttpMethod.Post, "/api/alerts/rules", new StringContent("{not json")))
            Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);

        var (renamed, channel) = await AlertApi.SendAsync(project, HttpMethod.Patch, $"/api/alerts/channels/{one}", new { name = "uno", url = receiver.Url("/uno") });
        Assert.Equal(HttpStatusCode.OK, renamed);
        Assert.Equal(("uno", receiver.Url("/uno")), (channel.GetProperty("name").GetString(), channel.GetProperty("url").GetString()));

        var (ok, changed) = await AlertApi.SendAsync(project, HttpMethod.Patch, $"/api/alerts/rules/{rule}", new { threshold = 20, cooldown_minutes = 5 });
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal((20, 5, 5), (changed.GetProperty("threshold").GetInt32(), changed.GetProperty("windowMinutes").GetInt32(), changed.GetProperty("cooldownMinutes").GetInt32()));

        var (deleted, _) = await AlertApi.SendAsync(project, HttpMethod.Delete, $"/api/alerts/channels/{two}");
        Assert.Equal(HttpStatusCode.NoContent, deleted);
        var rules = (await project.GetJsonAsync("/api/alerts/rules")).GetProperty("rules");
        Assert.Equal([one], rules[0].GetProperty("channelIds").EnumerateArray().Select(c => c.GetInt64()));
        var (cursorStatus, _) = await AlertApi.SendAsync(project, HttpMethod.Get, "/api/alerts/deliveries?cursor=zzz");
        Assert.Equal(HttpStatusCode.BadRequest, cursorStatus);
    }
}
