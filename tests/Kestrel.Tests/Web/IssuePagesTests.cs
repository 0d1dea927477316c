using System.Text.RegularExpressions;
using System.Text.Json;
using Kestrel.Tests.Support;
using Microsoft.Playwright;

namespace Kestrel.Tests.Web;

[Collection(BrowserCollection.Name)]
public sealed class IssuePagesTests(BrowserFixture browser)
{
    /// <summary>An exception with an in-app frame that has context lines and two library frames around it.</summary>
    private static string Crash(string value) => JsonSerializer.Serialize(new
    {
        level = "error",
        platform = "python",
        release = "shop@1.4.2",
        environment = "production",
        message = "checkout failed for order 77",
        tags = new { region = "eu-west", browser = "Firefox 140" },
        user = new { id = "u-42", email = "ada@example.com" },
        request = new { method = "POST", url = "https://shop.example/checkout" },
        breadcrumbs = new[] { new { category = "http", message = "POST /api/cart 200", timestamp = 1_780_000_000.5 } },
        contexts = new { os = new { name = "Linux", version = "6.1" } },
        exception = new
        {
            values = new object[]
            {
                new { type = "KeyError", value = "'sku'" },
                new
                {
                    type = "CheckoutError",
                    value,
                    stacktrace = new
                    {
                        frames = new object[]
                        {
                            new { function = "dispatch", filename = "site-packages/framework/routing.py", lineno = 210, in_app = false },
                            new { function = "handle_checkout", filename = "shop/checkout.py", lineno = 41, in_app = true,
                                  pre_context = new[] { "def handle_checkout(cart):", "    total = price(cart)" },
                                  context_line = "    raise CheckoutError(total)", post_context = new[] { "", "def price(cart):" } },
                            new { function = "wrapper", filename = "site-packages/framework/errors.py", lineno = 12, in_app = false },
                        },
                    },
                },
            },
        },
    });

    [Fact]
    public async Task Events_sent_through_the_api_appear_and_the_issue_page_shows_the_stack_and_event_data()
    {
        await using var ui = await WebUi.StartAsync(browser);
        var project = await ui.Server.CreateProjectAsync("shop");
        var first = await project.IngestAsync(Crash("total was negative"));
        var second = await project.IngestAsync(Crash("total was negative"));
        await project.IngestAsync(Events.Message("cache warmed"));
        await ui.SignInAsync();

        await ui.Page.GotoAsync("/projects/shop/issues");
        await Assertions.Expect(ui.Page.Locator("nav.tabs a.current")).ToContainTextAsync("Open 2");
        var row = ui.Page.GetByRole(AriaRole.Row).Filter(new() { HasText = "CheckoutError" });
        await Assertions.Expect(row.Locator("td.num.events")).ToHaveTextAsync("2");
        await Assertions.Expect(row.Locator("svg.chart")).ToHaveAttributeAsync("aria-label", "Events per hour over the last 24 hours: 2");
        await ui.ScreenshotAsync("issue-list");

        await row.GetByRole(AriaRole.Link).First.ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("CheckoutError: total was negative");
        var stack = ui.Page.Locator("section.exception").First;
        await Assertions.Expect(stack.Locator("li.frame.in-app .function")).ToHaveTextAsync("handle_checkout");
        await Assertions.Expect(stack.Locator("li.frame.in-app li.current")).ToHaveTextAsync("    raise CheckoutError(total)");
        await Assertions.Expect(stack.Locator("li.frame.in-app ol.context")).ToHaveAttributeAsync("start", "39");
        // Library frames are folded until asked for.
        var folded = stack.Locator("li.folded").First;
        await Assertions.Expect(folded.Locator("li.frame")).ToBeHiddenAsync();
        await folded.Locator("summary").ClickAsync();
        await Assertions.Expect(folded.Locator("li.frame .function")).ToHaveTextAsync("wrapper");
        await Assertions.Expect(ui.Page.Locator("section.exception")).ToHaveCountAsync(2);
        await Assertions.Expect(ui.Page.Locator("section.exception").Nth(1)).ToContainTextAsync("caused by KeyError");
        foreach (var text in new[] { "checkout failed for order 77", "eu-west", "ada@example.com", "https://shop.example/checkout", "POST /api/cart 200", "Context: os", "shop@1.4.2" })
            await Assertions.Expect(ui.Page.Locator("main")).ToContainTextAsync(text);
        await ui.ScreenshotAsync("issue-page");

        // The latest event is shown; older and newer walk between the two.
        await Assertions.Expect(ui.Page.Locator("#event-title code")).ToHaveTextAsync(second);
        await ui.Page.GetByRole(AriaRole.Link, new() { Name = "‹ Older" }).ClickAsync();
        await Assertions.Expect(ui.Page.Locator("#event-title code")).ToHaveTextAsync(first);
        await ui.Page.GetByRole(AriaRole.Link, new() { Name = "Newer ›" }).ClickAsync();
        await Assertions.Expect(ui.Page.Locator("#event-title code")).ToHaveTextAsync(second);
        Assert.Empty(ui.CspViolations);
    }

    [Fact]
    public async Task Resolving_with_a_sha_moves_the_issue_under_resolved_and_reopening_brings_it_back()
    {
        await using var ui = await WebUi.StartAsync(browser);
        var project = await ui.Server.CreateProjectAsync("shop");
        await project.IngestAsync(Crash("total was negative"));
        await ui.SignInAsync();
        await ui.Page.GotoAsync("/projects/shop/issues");
        await ui.Page.GetByRole(AriaRole.Link, new() { Name = "CheckoutError: total was negative" }).ClickAsync();

        await ui.Page.GetByLabel("Commit SHA").FillAsync("9f8E7d6c5b");
        await ui.Page.GetByLabel("Note").FillAsync("guard against empty carts");
        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await Assertions.Expect(ui.Page.Locator(".resolution")).ToContainTextAsync("Resolved just now in commit 9f8e7d6c5b");
        await Assertions.Expect(ui.Page.Locator(".resolution")).ToContainTextAsync("guard against empty carts");
        await ui.ScreenshotAsync("issue-resolved");

        await ui.Page.GotoAsync("/projects/shop/issues");
        await Assertions.Expect(ui.Page.Locator("table.issues")).ToHaveCountAsync(0);
        await ui.Page.GetByRole(AriaRole.Link, new() { Name = "Resolved 1" }).ClickAsync();
        await ui.Page.GetByRole(AriaRole.Link, new() { Name = "CheckoutError: total was negative" }).ClickAsync();
        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Reopen" }).ClickAsync();
        await Assertions.Expect(ui.Page.Locator(".badge.status-open")).ToBeVisibleAsync();
        var issue = (await project.IssuesAsync()).Single();
        Assert.Equal("open", issue.GetProperty("status").GetString());
        Assert.False(issue.TryGetProperty("resolution", out _));
    }

    [Fact]
    public async Task Bulk_ignore_from_the_list_and_search_and_sort_and_paging()
    {
        await using var ui = await WebUi.StartAsync(browser);
        var project = await ui.Server.CreateProjectAsync("shop");
        var batch = "[" + string.Join(',', Enumerable.Range(0, 30).Select(i => Events.Exception("PageError", "x", function: $"step{i:00}"))) + "]";
        using (var response = await project.PostEventAsync(batch)) Assert.True(response.IsSuccessStatusCode);
        await project.IngestAsync(Events.Exception("PageError", "x", function: "step07")); // most events and newest
        await ui.SignInAsync();

        await ui.Page.GotoAsync("/projects/shop/issues?sort=events");
        await Assertions.Expect(ui.Page.Locator("table.issues tbody tr")).ToHaveCountAsync(25);
        await Assertions.Expect(ui.Page.Locator("table.issues tbody tr").First).ToContainTextAsync("step07");
        await ui.Page.GetByRole(AriaRole.Link, new() { Name = "Next page" }).ClickAsync();
        await Assertions.Expect(ui.Page.Locator("table.issues tbody tr")).ToHaveCountAsync(5);

        await ui.Page.GotoAsync("/projects/shop/issues");
        await ui.Page.GetByLabel("Search issues").FillAsync("step1");
        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Assertions.Expect(ui.Page.Locator("table.issues tbody tr")).ToHaveCountAsync(10);
        await ui.Page.GetByLabel("Select all issues on this page").CheckAsync();
        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Ignore" }).ClickAsync();
        await Assertions.Expect(ui.Page.Locator("nav.tabs")).ToContainTextAsync("Ignored 10");
        Assert.Equal(10, (await project.IssuesAsync("?status=ignored")).Length);
        Assert.Equal(20, (await project.IssuesAsync("?status=open")).Length);
    }

    [Fact]
    public async Task Pages_fit_a_phone_screen_in_the_dark_scheme_and_work_from_the_keyboard()
    {
        await using var ui = await WebUi.StartAsync(browser, width: 390, height: 844, dark: true);
        var project = await ui.Server.CreateProjectAsync("shop");
        await project.IngestAsync(Crash("a value long enough to wrap: " + new string('x', 120)));
        await ui.SignInAsync();
        foreach (var (path, name) in new[] { ("/projects", "phone-projects"), ("/projects/shop/issues", "phone-issue-list"), ("/projects/shop/issues/1", "phone-issue-page"), ("/projects/shop/settings", "phone-settings") })
        {
            await ui.Page.GotoAsync(path);
            Assert.True(await ui.Page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), $"{path} scrolls sideways at 390 px");
            Assert.Equal("rgb(15, 18, 22)", await ui.Page.EvaluateAsync<string>("getComputedStyle(document.documentElement).backgroundColor"));
            await ui.ScreenshotAsync(name);
        }

        // From the list to the issue and its triage by keyboard alone.
        await ui.Page.GotoAsync("/projects/shop/issues");
        // Enter on the focused link, through the locator: Playwright then waits for the navigation the key
        // starts, which a separate wait could miss when the page was quick (seen once in ~10 full runs).
        await ui.Page.Locator("table.issues a.title").PressAsync("Enter");
        await Assertions.Expect(ui.Page).ToHaveURLAsync(new Regex("/issues/1$"));
        await ui.Page.GetByLabel("Reason").FocusAsync();
        await ui.Page.Keyboard.TypeAsync("flaky test host");
        await ui.Page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(ui.Page.Locator(".resolution")).ToHaveTextAsync("Ignored: flaky test host");
        Assert.Empty(ui.CspViolations);
    }

    [Fact]
    public async Task A_message_with_a_thread_stack_shows_that_stack()
    {
        await using var ui = await WebUi.StartAsync(browser);
        var project = await ui.Server.CreateProjectAsync("shop");
        await project.IngestAsync(JsonSerializer.Serialize(new
        {
            message = "slow checkout",
            threads = new
            {
                values = new object[]
                {
                    new { id = 1, name = "worker", stacktrace = new { frames = new[] { new { function = "idle", filename = "pool.py", lineno = 3, in_app = true } } } },
                    new { id = 2, name = "main", current = true, stacktrace = new { frames = new[] { new { function = "checkout", filename = "shop/views.py", lineno = 9, in_app = true } } } },
                },
            },
        }));
        await ui.SignInAsync();
        await ui.Page.GotoAsync("/projects/shop/issues/1");
        await Assertions.Expect(ui.Page.Locator("section.exception h3")).ToHaveTextAsync("Stack trace of thread main");
        await Assertions.Expect(ui.Page.Locator("li.frame .function")).ToHaveTextAsync("checkout");
    }
}
