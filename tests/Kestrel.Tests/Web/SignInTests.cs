using System.Text.RegularExpressions;
using System.Net;
using Kestrel.Tests.Support;
using Microsoft.Playwright;

namespace Kestrel.Tests.Web;

[Collection(BrowserCollection.Name)]
public sealed class SignInTests(BrowserFixture browser)
{
    [Fact]
    public async Task A_wrong_password_is_refused_and_the_right_one_signs_in()
    {
        await using var ui = await WebUi.StartAsync(browser);
        await ui.Page.GotoAsync("/projects");
        Assert.Contains("/login", ui.Page.Url);
        await ui.ScreenshotAsync("login");

        await ui.SignInAsync("not the password");
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong password.");
        Assert.Contains("/login", ui.Page.Url);

        await ui.SignInAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Heading, new() { Name = "Projects" })).ToBeVisibleAsync();
        var session = (await ui.Context.CookiesAsync()).Single(c => c.Name == "kestrel_session");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Lax, session.SameSite);
        Assert.True(session.Expires > DateTimeOffset.UtcNow.ToUnixTimeSeconds(), "the session cookie expires");
        Assert.Empty(ui.CspViolations);
    }

    [Fact]
    public async Task Repeated_wrong_passwords_are_throttled_even_for_the_right_one_with_a_wait_message()
    {
        await using var ui = await WebUi.StartAsync(browser);
        for (var i = 0; i < 5; i++)
        {
            await ui.SignInAsync("guess " + i);
            await Assertions.Expect(ui.Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong password.");
        }
        await ui.SignInAsync(expectSignedIn: false);
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Too many wrong passwords from your address. Wait");
        Assert.Contains("/login", ui.Page.Url);
        Assert.DoesNotContain(await ui.Context.CookiesAsync(), c => c.Name == "kestrel_session");
        await ui.ScreenshotAsync("login-throttled");
    }

    [Fact]
    public async Task Signing_out_ends_the_session_even_for_a_copy_of_the_cookie()
    {
        await using var ui = await WebUi.StartAsync(browser);
        await ui.SignInAsync();
        var cookie = (await ui.Context.CookiesAsync()).Single(c => c.Name == "kestrel_session").Value;
        using var copy = AdminHttp.Anonymous(ui.Server);
        Assert.Equal(HttpStatusCode.OK, (await Get(copy, "/projects", cookie)).StatusCode);

        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(ui.Page).ToHaveURLAsync(new Regex("/login$"));
        await ui.Page.GotoAsync("/projects");
        Assert.Contains("/login", ui.Page.Url);
        using var after = await Get(copy, "/projects", cookie);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task No_page_or_issue_api_answers_without_a_session_or_with_a_forged_cookie()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_ADMIN_PASSWORD"] = WebUi.Password });
        var project = await server.CreateProjectAsync("app");
        await project.IngestAsync(Events.Exception("SecretError", "private data"));
        using var admin = await AdminHttp.SignInAsync(server);
        var parts = admin.SessionCookie.Split('.');
        var forged = new[]
        {
            "",
            "garbage",
            $"{parts[0]}.{long.Parse(parts[1]) + 3600}.{parts[2]}",        // longer life, old signature
            $"{parts[0][..^2]}AA.{parts[1]}.{parts[2]}",                     // another id, old signature
        };
        using var client = AdminHttp.Anonymous(server);
        foreach (var cookie in forged)
        {
            foreach (var path in new[] { "/", "/projects", "/projects/app/settings", "/projects/app/issues", "/projects/app/issues/1", "/projects/app/rotate-token", "/projects/nope/issues" })
            {
                using var response = await Get(client, path, cookie);
                Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
                Assert.StartsWith("/login", response.Headers.Location!.OriginalString);
                Assert.DoesNotContain("SecretError", await response.Content.ReadAsStringAsync());
            }
            foreach (var path in new[] { "/projects", "/projects/app/rotate-token", "/projects/app/issues/1/status", "/projects/app/issues/bulk", "/logout" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["status"] = "resolved", ["name"] = "x" }) };
                if (cookie.Length > 0) request.Headers.Add("Cookie", "kestrel_session=" + cookie);
                using var response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            }
            foreach (var path in new[] { "/api/issues?project=app", "/api/issues/1", "/api/issues/1/events" })
            {
                using var response = await Get(client, path, cookie);
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            }
        }
        Assert.Equal("open", (await project.GetJsonAsync("/api/issues/1")).GetProperty("status").GetString());
        Assert.Single((await KestrelProcess.RunAsync(server.DataDirectory, null, "project", "list", "--json")).Json.EnumerateArray());
    }

    private static Task<HttpResponseMessage> Get(HttpClient client, string path, string cookie)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (cookie.Length > 0) request.Headers.Add("Cookie", "kestrel_session=" + cookie);
        return client.SendAsync(request);
    }
}
