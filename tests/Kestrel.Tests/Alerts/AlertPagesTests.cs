using System.Text.Json;
using Kestrel.Tests.Support;
using Microsoft.Playwright;

namespace Kestrel.Tests.Alerts;

/// <summary>Project settings → Alerts in a real browser: add channels, send tests, see the last failure, add a rule, read the delivery log.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AlertPagesTests(BrowserFixture browser)
{
    [Fact]
    public async Task An_admin_sets_up_alerts_from_the_project_settings_and_sees_deliveries_and_failures()
    {
        await using var receiver = await AlertReceiver.StartAsync();
        await using var ui = await WebUi.StartAsync(browser, settings: new Dictionary<string, string>
        {
            ["KESTREL_ALERTS_ALLOW_PRIVATE_TARGETS"] = "true",
            ["KESTREL_ALERTS_RETRY_BASE_SECONDS"] = "0.2",
        });
        var project = await ui.Server.CreateProjectAsync("shop");
        receiver.Script("/broken", (404, null));
        await ui.SignInAsync();
        await ui.Page.GotoAsync("/projects/shop/settings");
        await ui.Page.GetByRole(AriaRole.Link, new() { Name = "Alert channels, rules and delivery log" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Heading, new() { Name = "Alerts" })).ToBeVisibleAsync();

        var add = ui.Page.GetByRole(AriaRole.Form, new() { Name = "Add a channel" });
        await add.GetByLabel("Channel name").FillAsync("team <chat>");
        await add.GetByLabel("Kind").SelectOptionAsync("slack");
        await add.GetByLabel("URL").FillAsync(receiver.Url("/slack"));
        await add.GetByRole(AriaRole.Button, new() { Name = "Add channel" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Channel team <chat> added");

        add = ui.Page.GetByRole(AriaRole.Form, new() { Name = "Add a channel" });
        await add.GetByLabel("Channel name").FillAsync("broken");
        await add.GetByLabel("Kind").SelectOptionAsync("webhook");
        await add.GetByLabel("URL").FillAsync(receiver.Url("/broken"));
        await add.GetByRole(AriaRole.Button, new() { Name = "Add channel" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Channel broken added");

        // A bad address is refused with the reason, and nothing is added.
        add = ui.Page.GetByRole(AriaRole.Form, new() { Name = "Add a channel" });
        await add.GetByLabel("Channel name").FillAsync("metadata");
        await add.GetByLabel("URL").FillAsync("http://169.254.169.254/latest");
        await add.GetByRole(AriaRole.Button, new() { Name = "Add channel" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("url: Refused: 169.254.169.254 is a link-local address");

        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Send test to team <chat>" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Test delivered (answer 200).");
        Assert.Single(receiver.At("/slack"));
        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Send test to broken" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Test not delivered: 127.0.0.1 answered 404");
        var brokenRow = ui.Page.Locator("table.channels tr").Filter(new() { HasText = "broken" });
        await Assertions.Expect(brokenRow.Locator(".error")).ToContainTextAsync("answered 404");

        var rule = ui.Page.GetByRole(AriaRole.Form, new() { Name = "Add a rule" });
        await rule.GetByLabel("Rule name").FillAsync("new errors");
        await rule.GetByLabel("Trigger").SelectOptionAsync("new_issue");
        await rule.GetByLabel("Level at least").SelectOptionAsync("error");
        await rule.GetByLabel("team <chat>").CheckAsync();
        await rule.GetByRole(AriaRole.Button, new() { Name = "Add rule" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Rule new errors added");
        await Assertions.Expect(ui.Page.Locator("table.rules")).ToContainTextAsync("error or worse, any environment");

        await project.IngestAsync(AlertApi.Event("<b>checkout</b> failed"));
        await receiver.WaitForAsync("/slack", 2);
        await AlertApi.WaitForDeliveriesAsync(project, all => all.Any(d => d.GetProperty("trigger").GetString() == "new_issue" && d.GetProperty("status").GetString() == "delivered"));
        await ui.Page.GotoAsync("/projects/shop/alerts");
        var log = ui.Page.Locator("table.deliveries");
        await Assertions.Expect(log.Locator("tr").Filter(new() { HasText = "new_issue" })).ToContainTextAsync("delivered");
        await Assertions.Expect(log.Locator("tr").Filter(new() { HasText = "new_issue" })).ToContainTextAsync("new errors");
        await Assertions.Expect(log.Locator("tr").Filter(new() { HasText = "404" })).ToContainTextAsync("failed");
        await ui.ScreenshotAsync("alerts");
        Assert.Empty(ui.CspViolations);
    }

    [Fact]
    public async Task An_admin_edits_a_channel_and_a_rule_and_switches_the_rule_off_and_on_and_bad_input_changes_nothing()
    {
        const string OldSecret = "s3cret-old-one", NewSecret = "s3cret-new-one";
        await using var receiver = await AlertReceiver.StartAsync();
        await using var ui = await WebUi.StartAsync(browser, settings: new Dictionary<string, string> { ["KESTREL_ALERTS_ALLOW_PRIVATE_TARGETS"] = "true" });
        var project = await ui.Server.CreateProjectAsync("shop");
        var hook = await AlertApi.ChannelAsync(project, new { name = "hook", kind = "webhook", url = receiver.Url("/a"), secret = OldSecret });
        var chat = await AlertApi.ChannelAsync(project, new { name = "chat", kind = "slack", url = receiver.Url("/slack") });
        var rule = await AlertApi.RuleAsync(project, new { name = "spikes", trigger = "spike", threshold = 10, window_minutes = 5, channel_ids = new[] { hook } });
        async Task<JsonElement> Channel() => (await project.GetJsonAsync("/api/alerts/channels")).GetProperty("channels").EnumerateArray().Single(c => c.GetProperty("id").GetInt64() == hook);
        async Task<JsonElement> Rule() => (await project.GetJsonAsync("/api/alerts/rules")).GetProperty("rules")[0];
        await ui.SignInAsync();
        await ui.Page.GotoAsync("/projects/shop/alerts");

        // The edit page shows the channel, never its secret.
        await ui.Page.GetByRole(AriaRole.Link, new() { Name = "Edit hook" }).ClickAsync();
        var form = ui.Page.GetByRole(AriaRole.Form, new() { Name = "Edit channel" });
        await Assertions.Expect(form.GetByLabel("URL")).ToHaveValueAsync(receiver.Url("/a"));
        await Assertions.Expect(form.GetByLabel("New secret")).ToHaveValueAsync("");
        Assert.DoesNotContain(OldSecret, await ui.Page.ContentAsync());

        // Refused: an address in the link-local range, and a secret both typed and removed. The form keeps what was typed; nothing is stored.
        await form.GetByLabel("Channel name").FillAsync("hook renamed");
        await form.GetByLabel("URL").FillAsync("http://169.254.169.254/latest");
        await form.GetByRole(AriaRole.Button, new() { Name = "Save channel" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("url: Refused: 169.254.169.254 is a link-local address");
        form = ui.Page.GetByRole(AriaRole.Form, new() { Name = "Edit channel" });
        await Assertions.Expect(form.GetByLabel("Channel name")).ToHaveValueAsync("hook renamed");
        await form.GetByLabel("URL").FillAsync(receiver.Url("/b"));
        await form.GetByLabel("New secret").FillAsync(NewSecret);
        await form.GetByLabel("Remove the secret").CheckAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Save channel" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("secret: type a new secret or remove the stored one, not both.");
        Assert.DoesNotContain(NewSecret, await ui.Page.ContentAsync());
        var unchanged = await Channel();
        Assert.Equal("hook", unchanged.GetProperty("name").GetString());
        Assert.Equal(receiver.Url("/a"), unchanged.GetProperty("url").GetString());
        Assert.True(unchanged.GetProperty("hasSecret").GetBoolean());

        // Saved: new name, address and secret; a test reaches the new address signed with the new secret.
        form = ui.Page.GetByRole(AriaRole.Form, new() { Name = "Edit channel" });
        await form.GetByLabel("Remove the secret").UncheckAsync();
        await form.GetByLabel("New secret").FillAsync(NewSecret);
        await form.GetByRole(AriaRole.Button, new() { Name = "Save channel" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Channel hook renamed saved.");
        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Send test to hook renamed" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Test delivered (answer 200).");
        TargetSchemas.Check("webhook", Assert.Single(receiver.At("/b")), NewSecret);
        Assert.Empty(receiver.At("/a"));

        // An empty secret field keeps the secret; "Remove the secret" takes it away.
        await ui.Page.GetByRole(AriaRole.Link, new() { Name = "Edit hook renamed" }).ClickAsync();
        form = ui.Page.GetByRole(AriaRole.Form, new() { Name = "Edit channel" });
        await form.GetByRole(AriaRole.Button, new() { Name = "Save channel" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Channel hook renamed saved.");
        Assert.True((await Channel()).GetProperty("hasSecret").GetBoolean());
        await ui.Page.GetByRole(AriaRole.Link, new() { Name = "Edit hook renamed" }).ClickAsync();
        form = ui.Page.GetByRole(AriaRole.Form, new() { Name = "Edit channel" });
        await form.GetByLabel("Remove the secret").CheckAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Save channel" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Channel hook renamed saved.");
        Assert.False((await Channel()).GetProperty("hasSecret").GetBoolean());

        // A rule: a threshold that is not a number gets the API's sentence and changes nothing, the name typed with it included.
        await ui.Page.GetByRole(AriaRole.Link, new() { Name = "Edit spikes" }).ClickAsync();
        form = ui.Page.GetByRole(AriaRole.Form, new() { Name = "Edit rule" });
        await Assertions.Expect(form.GetByLabel("Threshold")).ToHaveValueAsync("10");
        await Assertions.Expect(form.GetByLabel("Enabled")).ToBeCheckedAsync();
        await form.GetByLabel("Rule name").FillAsync("bursts");
        await form.GetByLabel("Threshold").FillAsync("lots");
        await form.GetByRole(AriaRole.Button, new() { Name = "Save rule" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("threshold must be a whole number.");
        var (status, patched) = await AlertApi.SendAsync(project, HttpMethod.Patch, $"/api/alerts/rules/{rule}", new { threshold = "lots" });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, status);
        Assert.Equal("threshold must be a whole number.", patched.GetProperty("error").GetString()); // one wording everywhere
        await ui.ScreenshotAsync("alerts-edit-rule-refused");
        Assert.Equal("spikes", (await Rule()).GetProperty("name").GetString());
        Assert.Equal(10, (await Rule()).GetProperty("threshold").GetInt32());

        form = ui.Page.GetByRole(AriaRole.Form, new() { Name = "Edit rule" });
        await Assertions.Expect(form.GetByLabel("Rule name")).ToHaveValueAsync("bursts");
        await form.GetByLabel("Trigger").SelectOptionAsync("new_issue");
        await form.GetByLabel("Threshold").FillAsync("");
        await form.GetByLabel("Window (min)").FillAsync("");
        await form.GetByLabel("Level at least").SelectOptionAsync("warning");
        await form.GetByLabel("Environment").FillAsync("production");
        await form.GetByLabel("Cooldown (min)").FillAsync("5");
        await form.GetByLabel("chat").CheckAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Save rule" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Rule bursts saved.");
        var row = ui.Page.Locator("table.rules tbody tr");
        await Assertions.Expect(row).ToContainTextAsync("new issue");
        await Assertions.Expect(row).ToContainTextAsync("warning or worse, production");
        await Assertions.Expect(row).ToContainTextAsync("5 min");
        await Assertions.Expect(row).ToContainTextAsync("hook renamed, chat");
        var saved = await Rule();
        Assert.Equal("new_issue", saved.GetProperty("trigger").GetString());
        Assert.False(saved.TryGetProperty("threshold", out _));
        Assert.Equal([hook, chat], saved.GetProperty("channelIds").EnumerateArray().Select(c => c.GetInt64()).Order());

        // The toggle: off, then on again.
        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Disable bursts" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Rule bursts disabled.");
        await Assertions.Expect(row).ToContainTextAsync("disabled");
        Assert.False((await Rule()).GetProperty("enabled").GetBoolean());
        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Enable bursts" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Rule bursts enabled.");
        Assert.True((await Rule()).GetProperty("enabled").GetBoolean());
        await ui.ScreenshotAsync("alerts-edit");
        Assert.Empty(ui.CspViolations);
    }
}
