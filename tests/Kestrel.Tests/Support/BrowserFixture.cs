using Microsoft.Playwright;

namespace Kestrel.Tests.Support;

/// <summary>
/// One headless Debian Chromium (installed by scripts/install-test-deps.sh) for the browser tests;
/// every test gets its own browser context, so no cookies or storage are shared. Playwright's own
/// browser download is not used: the driver ships in the NuGet package, the browser comes from apt.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? playwright;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: $KESTREL_TEST_ARTIFACTS, else artifacts/ next to the test binaries (not committed).</summary>
    public static string ArtifactsDirectory { get; } = Directory.CreateDirectory(
        Environment.GetEnvironmentVariable("KESTREL_TEST_ARTIFACTS") is { Length: > 0 } root
            ? Path.Combine(root, "screenshots") : Path.Combine(AppContext.BaseDirectory, "artifacts", "screenshots")).FullName;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath)) throw new InvalidOperationException($"{ChromiumPath} is missing: run scripts/install-test-deps.sh.");
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
