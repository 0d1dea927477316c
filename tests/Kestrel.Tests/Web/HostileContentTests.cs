using System.Text.Json;
using Kestrel.Tests.Support;
using Microsoft.Playwright;

namespace Kestrel.Tests.Web;

/// <summary>Every byte of an event is hostile: it must show as text, and nothing in it may run.</summary>
[Collection(BrowserCollection.Name)]
public sealed class HostileContentTests(BrowserFixture browser)
{
    private const string Script = "<script>alert('message')</script>";
    private const string Image = "<img src=x onerror=alert('type')>";
    private const string Svg = "\"><svg onload=alert('function')>";

    [Fact]
    public async Task Script_and_onerror_payloads_in_message_frames_and_data_render_as_text_and_never_run()
    {
        await using var ui = await WebUi.StartAsync(browser);
        var project = await ui.Server.CreateProjectAsync("app");
        await project.IngestAsync(JsonSerializer.Serialize(new
        {
            message = Script,
            release = "</code><script>alert('release')</script>",
            tags = new Dictionary<string, string> { ["<b onmouseover=alert('tag')>"] = "<iframe src=javascript:alert('tagvalue')>" },
            user = new { email = "\"onfocus=\"alert('user')\" autofocus=\"" },
            request = new { url = "javascript:alert('url')" },
            breadcrumbs = new[] { new { message = "<img src=x onerror=alert('crumb')>", category = "<script>alert('category')</script>" } },
            exception = new
            {
                values = new[]
                {
                    new
                    {
                        type = Image,
                        value = "</pre><script>alert('value')</script>",
                        stacktrace = new
                        {
                            frames = new object[]
                            {
                                new { function = Svg, filename = "<script>alert('file')</script>.js", lineno = 3, in_app = true,
                                      context_line = "<img src=x onerror=alert('context')>", pre_context = new[] { "</ol><script>alert('pre')</script>" } },
                            },
                        },
                    },
                },
            },
        }));
        await ui.SignInAsync();

        await ui.Page.GotoAsync("/projects/app/issues");
        await Assertions.Expect(ui.Page.Locator("table.issues a.title")).ToHaveTextAsync(Image + ": </pre><script>alert('value')</script>");
        await AssertInert(ui.Page);
        await ui.Page.Locator("table.issues a.title").ClickAsync();

        var main = ui.Page.Locator("main");
        await Assertions.Expect(ui.Page.Locator("pre.message")).ToHaveTextAsync(Script);
        await Assertions.Expect(ui.Page.Locator("li.frame .function")).ToHaveTextAsync(Svg);
        await Assertions.Expect(ui.Page.Locator("li.frame .file")).ToHaveTextAsync("<script>alert('file')</script>.js");
        await Assertions.Expect(ui.Page.Locator("li.frame li.current")).ToHaveTextAsync("<img src=x onerror=alert('context')>");
        foreach (var text in new[] { "<b onmouseover=alert('tag')>", "<iframe src=javascript:alert('tagvalue')>", "javascript:alert('url')", "<img src=x onerror=alert('crumb')>" })
            await Assertions.Expect(main).ToContainTextAsync(text);
        Assert.Equal(Image + ": </pre><script>alert('value')</script> · Kestrel", await ui.Page.TitleAsync());
        await AssertInert(ui.Page);
        await ui.ScreenshotAsync("issue-page-hostile");
        Assert.Empty(ui.CspViolations);
    }

    /// <summary>Only the site's own script element exists, no element came from event data, and no link runs script.</summary>
    internal static async Task AssertInert(IPage page)
    {
        Assert.Equal(1, await page.EvaluateAsync<int>("document.scripts.length"));
        Assert.Equal(0, await page.EvaluateAsync<int>("document.querySelectorAll('img, iframe, main svg:not(.chart), b, [onerror], [onload], [onmouseover], [onfocus]').length"));
        Assert.Equal(0, await page.EvaluateAsync<int>("[...document.links].filter(a => a.protocol === 'javascript:').length"));
    }
}
