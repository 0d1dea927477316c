using System.Net;
using System.Text;
using Kestrel.Tests.Support;
using Microsoft.Playwright;

namespace Kestrel.Tests.Web;

[Collection(BrowserCollection.Name)]
public sealed class ProjectPagesTests(BrowserFixture browser)
{
    [Fact]
    public async Task Creating_a_project_shows_its_token_once_and_the_token_sends_events()
    {
        await using var ui = await WebUi.StartAsync(browser);
        await ui.SignInAsync();
        await ui.Page.GetByLabel("Name").FillAsync("Checkout Web");
        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Heading, new() { Name = "Project Checkout Web created" })).ToBeVisibleAsync();
        var token = (await ui.Page.Locator("#token").TextContentAsync())!.Trim();
        Assert.Matches("^kst_[A-Za-z0-9_-]{43}$", token);
        var dsn = (await ui.Page.Locator("#dsn").TextContentAsync())!.Trim();
        Assert.Matches("^http://[0-9a-f]{32}@localhost:8080/1$", dsn);
        await ui.ScreenshotAsync("project-created");

        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new StringContent(Events.Message("from the new token"), Encoding.UTF8, "application/json") })
        {
            request.Headers.Authorization = new("Bearer", token);
            using var response = await ui.Server.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await ui.Page.GotoAsync("/projects");
        await ui.ScreenshotAsync("projects");
        var row = ui.Page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Checkout Web" });
        await Assertions.Expect(row.GetByRole(AriaRole.Cell).Nth(1)).ToHaveTextAsync("1"); // open issues
        await row.GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
        await Assertions.Expect(ui.Page.Locator("#dsn")).ToHaveTextAsync(dsn);
        Assert.DoesNotContain(token, await ui.Page.ContentAsync());
        await ui.ScreenshotAsync("project-settings");
        Assert.Empty(ui.CspViolations);
    }

    [Fact]
    public async Task Rotating_asks_first_then_shows_a_new_token_and_the_old_one_stops_working()
    {
        await using var ui = await WebUi.StartAsync(browser);
        var project = await ui.Server.CreateProjectAsync("billing");
        await ui.SignInAsync();
        await ui.Page.GotoAsync("/projects/billing/settings");
        await ui.Page.GetByRole(AriaRole.Link, new() { Name = "Rotate token…" }).ClickAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Heading, new() { Name = "Rotate the token of billing?" })).ToBeVisibleAsync();
        await ui.ScreenshotAsync("rotate-token");
        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Rotate token" }).ClickAsync();
        var token = (await ui.Page.Locator("#token").TextContentAsync())!.Trim();
        Assert.NotEqual(project.Token, token);

        using var old = await project.PostEventAsync(Events.Message("old token"));
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        using var fresh = await project.PostEventAsync(Events.Message("new token"), token);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    [Fact]
    public async Task A_bad_project_name_is_refused_with_the_reason()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_ADMIN_PASSWORD"] = WebUi.Password });
        using var admin = await AdminHttp.SignInAsync(server);
        using var response = await admin.Client.PostAsync("/projects", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_csrf"] = await admin.CsrfTokenAsync(),
            ["name"] = "!!!",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("has no letters or digits", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
        Assert.Empty((await KestrelProcess.RunAsync(server.DataDirectory, null, "project", "list", "--json")).Json.EnumerateArray());
    }
}
