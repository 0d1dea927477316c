using Kestrel.Tests.Issues;
using Kestrel.Tests.Support;
using Microsoft.Playwright;

namespace Kestrel.Tests.Web;

/// <summary>Resolving in a release, the activity log and notes on the issue page, in a real browser.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ActivityPagesTests(BrowserFixture browser)
{
    [Fact]
    public async Task Resolve_in_the_next_release_mark_older_events_add_notes_and_see_the_regression()
    {
        await using var ui = await WebUi.StartAsync(browser);
        var project = await ui.Server.CreateProjectAsync("shop");
        await project.IngestAsync(ReleaseResolutionTests.Event("CartError", "2.0.0"));
        var id = Assert.Single(await project.IssuesAsync()).GetProperty("id").GetInt64();
        await ui.SignInAsync();
        var page = ui.Page;
        await page.GotoAsync($"/projects/shop/issues/{id}");

        var triage = page.Locator("section.triage");
        await triage.GetByLabel("Commit SHA").FillAsync("c0ffee1");
        await triage.GetByLabel("the next release").CheckAsync();
        await triage.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await Assertions.Expect(triage.Locator("p.release-note")).ToContainTextAsync("Resolved in the next release (after 2.0.0)");

        // A straggler on 2.0.0 counts, is marked, and does not reopen the issue.
        await project.IngestAsync(ReleaseResolutionTests.Event("CartError", "2.0.0"));
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("header.issue-head .badge.status-resolved")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".event-head .older-release")).ToHaveTextAsync("from an older release");

        // A note with markup stays text.
        await page.GetByLabel("What you found").FillAsync("<img src=x onerror=alert(1)> only on iOS");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        var log = page.Locator("ol.activity-log > li");
        await Assertions.Expect(log.First).ToContainTextAsync("<img src=x onerror=alert(1)> only on iOS");
        await Assertions.Expect(log.First).ToContainTextAsync("by admin");
        await Assertions.Expect(page.Locator("ol.activity-log img")).ToHaveCountAsync(0);
        await Assertions.Expect(log).ToHaveCountAsync(3);
        await Assertions.Expect(log.Nth(1)).ToContainTextAsync("Resolved in the next release (after 2.0.0)");
        await Assertions.Expect(log.Nth(1)).ToContainTextAsync("c0ffee1");
        await Assertions.Expect(log.Nth(2)).ToContainTextAsync("Created by its first event");

        // The next release brings it back: the failed fix stays in view.
        await project.IngestAsync(ReleaseResolutionTests.Event("CartError", "2.1.0"));
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("header.issue-head .badge.status-open")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("p.previous-resolution")).ToContainTextAsync("A resolution did not hold");
        await Assertions.Expect(page.Locator("p.previous-resolution")).ToContainTextAsync("c0ffee1");
        await Assertions.Expect(log.First).ToContainTextAsync("Regressed");
        await Assertions.Expect(log.First).ToContainTextAsync("2.1.0");
        await Assertions.Expect(page.Locator(".event-head .older-release")).ToHaveCountAsync(0);
        await ui.ScreenshotAsync("issue-activity");

        // Resolving in a named release.
        await triage.GetByLabel("release", new() { Exact = true }).CheckAsync();
        await triage.GetByLabel("Release", new() { Exact = true }).FillAsync("2.1.1");
        await triage.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await Assertions.Expect(triage.Locator("p.release-note")).ToContainTextAsync("Resolved in release 2.1.1");
        await Assertions.Expect(log.First).ToContainTextAsync("Resolved in release 2.1.1");
        Assert.Empty(ui.CspViolations);
    }

    [Fact]
    public async Task An_empty_release_name_or_note_is_refused_with_a_message_and_nothing_changes()
    {
        await using var ui = await WebUi.StartAsync(browser);
        var project = await ui.Server.CreateProjectAsync("shop");
        await project.IngestAsync(ReleaseResolutionTests.Event("FormError", "1.0.0"));
        var id = Assert.Single(await project.IssuesAsync()).GetProperty("id").GetInt64();
        await ui.SignInAsync();
        await ui.Page.GotoAsync($"/projects/shop/issues/{id}");

        var triage = ui.Page.Locator("section.triage");
        await triage.GetByLabel("release", new() { Exact = true }).CheckAsync();
        await triage.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await Assertions.Expect(ui.Page.Locator("main")).ToContainTextAsync("in_release must be a release name");
        Assert.Equal("open", (await project.GetJsonAsync($"/api/issues/{id}")).GetProperty("status").GetString());

        using var admin = await AdminHttp.SignInAsync(ui.Server);
        var csrf = await admin.CsrfTokenAsync();
        using var blank = await admin.Client.PostAsync($"/projects/shop/issues/{id}/notes",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["_csrf"] = csrf, ["text"] = "   " }));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, blank.StatusCode);
        Assert.Contains("text is required", await blank.Content.ReadAsStringAsync());
        using var noCsrf = await admin.Client.PostAsync($"/projects/shop/issues/{id}/notes",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["text"] = "forged" }));
        Assert.NotEqual(System.Net.HttpStatusCode.Redirect, noCsrf.StatusCode);
        var activity = (await project.GetJsonAsync($"/api/issues/{id}/activity")).GetProperty("activity");
        Assert.Equal(1, activity.GetArrayLength());
    }
}
