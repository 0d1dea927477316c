using System.Text.RegularExpressions;
using System.Text.Json;
using Kestrel.Tests.Support;
using Microsoft.Playwright;

namespace Kestrel.Tests.Web;

/// <summary>The issue page's tag panel, its filter links, and the search box of the issue list, in a real browser.</summary>
[Collection(BrowserCollection.Name)]
public sealed class FacetPanelTests(BrowserFixture browser)
{
    private const string Hostile = "\"><img src=x onerror=alert('facet')> & \"quoted\" \\ *";

    private static string Event(string environment, string user, string tier) => JsonSerializer.Serialize(new
    {
        level = "error",
        environment,
        release = "web@1.2.0",
        user = new { id = user },
        tags = new Dictionary<string, string> { ["tier"] = tier },
        exception = new { values = new[] { new { type = "CheckoutError", value = "no cart", stacktrace = new { frames = new[] { new { function = "pay", filename = "cart.js", lineno = 1, in_app = true } } } } } },
    });

    [Fact]
    public async Task Facets_show_shares_escape_hostile_values_and_filter_the_list_when_clicked()
    {
        await using var ui = await WebUi.StartAsync(browser);
        var project = await ui.Server.CreateProjectAsync("shop");
        var events = new[] { Event("production", "1", Hostile), Event("production", "2", Hostile), Event("production", "3", "free"), Event("staging", "1", Hostile) };
        using (var response = await project.PostEventAsync("[" + string.Join(',', events) + "]")) Assert.True(response.IsSuccessStatusCode);
        await project.IngestAsync(Events.Exception("OtherError", "unrelated"));
        await ui.SignInAsync();

        await ui.Page.GotoAsync("/projects/shop/issues");
        var checkoutRow = ui.Page.Locator("table.issues tr", new() { HasText = "CheckoutError" });
        await Assertions.Expect(checkoutRow.Locator("td.num.users")).ToHaveTextAsync("3");
        await checkoutRow.Locator("a.title").ClickAsync();

        var facts = ui.Page.Locator("dl.facts");
        await Assertions.Expect(facts).ToContainTextAsync("Users3");
        await Assertions.Expect(facts).ToContainTextAsync("First releaseweb@1.2.0");
        var panel = ui.Page.Locator("section.facets");
        var environment = panel.Locator(".facet", new() { Has = ui.Page.GetByRole(AriaRole.Heading, new() { Name = "environment" }) });
        await Assertions.Expect(environment.Locator("li").First).ToContainTextAsync("75%");
        await Assertions.Expect(environment.Locator("li").First).ToContainTextAsync("production");
        var tier = panel.Locator(".facet", new() { Has = ui.Page.GetByRole(AriaRole.Heading, new() { Name = "tier" }) });
        await Assertions.Expect(tier.Locator("li a").First).ToHaveTextAsync(Hostile);
        await HostileContentTests.AssertInert(ui.Page);
        await ui.ScreenshotAsync("issue-page-facets");

        // The link's query quotes the hostile value, so the list finds exactly the issue that had it.
        await tier.Locator("li a").First.ClickAsync();
        await Assertions.Expect(ui.Page).ToHaveURLAsync(new Regex("/issues\\?query="));
        await Assertions.Expect(ui.Page.Locator("#query")).ToHaveValueAsync("tier:\"" + Hostile.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"");
        await Assertions.Expect(ui.Page.Locator("table.issues a.title")).ToHaveTextAsync("CheckoutError: no cart");
        await HostileContentTests.AssertInert(ui.Page);

        await ui.Page.Locator("#query").FillAsync("!has:tier");
        await ui.Page.Locator("#query").PressAsync("Enter");
        await Assertions.Expect(ui.Page.Locator("table.issues a.title")).ToHaveTextAsync("OtherError: unrelated");

        await ui.Page.Locator("#query").FillAsync("timesSeen:>lots");
        await ui.Page.Locator("#query").PressAsync("Enter");
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The search term 'timesSeen:>lots' is malformed");
        Assert.Empty(ui.CspViolations);
    }
}
