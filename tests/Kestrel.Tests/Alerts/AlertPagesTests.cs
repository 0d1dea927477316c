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
}
