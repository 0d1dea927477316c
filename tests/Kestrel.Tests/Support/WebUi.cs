using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Kestrel.Tests.Support;

/// <summary>
/// A real server with a known admin password and a fresh browser context pointed at it. Any JavaScript
/// dialog (alert, confirm, prompt) is recorded and fails the test on dispose: event data must never run.
/// </summary>
public sealed class WebUi : IAsyncDisposable
{
    public const string Password = "correct horse battery staple";

    private readonly List<string> dialogs = [];
    private readonly List<string> violations = [];

    private WebUi(KestrelServer server, IBrowserContext context, IPage page)
    {
        Server = server;
        Context = context;
        Page = page;
        page.Dialog += (_, dialog) =>
        {
            lock (dialogs) dialogs.Add($"{dialog.Type}: {dialog.Message}");
            _ = dialog.DismissAsync();
        };
        page.Console += (_, message) =>
        {
            // A page answered 401 or 404 is logged too ("Failed to load resource"); only policy refusals matter here.
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal)) lock (violations) violations.Add(message.Text);
        };
    }

    public KestrelServer Server { get; }
    public IBrowserContext Context { get; }
    public IPage Page { get; }

    /// <param name="settings">more KESTREL_* settings for the server</param>
    public static async Task<WebUi> StartAsync(BrowserFixture browser, int width = 1280, int height = 900, bool dark = false,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string>(settings ?? new Dictionary<string, string>()) { ["KESTREL_ADMIN_PASSWORD"] = Password };
        var server = await KestrelServer.StartAsync(environment);
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.Address.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = dark ? ColorScheme.Dark : ColorScheme.Light,
        });
        // Generous: CI shares two cores among the whole suite, and a slow answer is not what these tests check.
        context.SetDefaultTimeout(30_000);
        return new WebUi(server, context, await context.NewPageAsync());
    }

    public async Task SignInAsync(string password = Password, bool expectSignedIn = true)
    {
        await Page.GotoAsync("/login");
        await Page.GetByLabel("Admin password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        if (password != Password || !expectSignedIn) return;
        // Polled, not WaitForURLAsync: once the URL matches, that waits for the page's load event, and CI saw it miss
        // one that had fired (the browser was on /projects, its log showed only "NetworkIdle" after the wait began).
        try
        {
            await Assertions.Expect(Page).ToHaveURLAsync(new Regex("/projects$"));
            await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Projects", Exact = true })).ToBeVisibleAsync();
        }
        catch (Exception e) when (e is TimeoutException or PlaywrightException)
        {
            // Say where the browser got to and what the server did meanwhile: a sign-in that never arrives is otherwise
            // only "Timeout 30000ms exceeded".
            var log = Server.Log;
            throw new TimeoutException($"Signing in did not reach /projects; the browser is at {Page.Url}. The server's log ends:\n"
                + log[Math.Max(0, log.Length - 4_000)..], e);
        }
    }

    /// <summary>A full-page screenshot saved as a test artifact.</summary>
    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ArtifactsDirectory, name + ".png"), FullPage = true });

    /// <summary>Content-Security-Policy refusals from the console: a page that needs inline script or style is a bug.</summary>
    public IReadOnlyList<string> CspViolations { get { lock (violations) return violations.ToList(); } }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await Server.DisposeAsync();
        lock (dialogs) Assert.True(dialogs.Count == 0, "A page opened a dialog: " + string.Join("; ", dialogs));
    }
}
