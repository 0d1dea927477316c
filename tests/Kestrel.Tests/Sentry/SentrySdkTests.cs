using System.Net.Http.Headers;
using System.Text.Json;
using Kestrel.Tests.Support;
using Sentry;

namespace Kestrel.Tests.Sentry;

/// <summary>
/// The official SDKs, unchanged, pointed at Kestrel by their DSN alone: NuGet Sentry in this process
/// (and in a child process for an unhandled exception), @sentry/node in node. Each SDK flushes before
/// the test looks, and Kestrel answers only after committing, so what was sent is visible at once.
/// </summary>
public sealed class SentrySdkTests(KestrelServerFixture fixture) : IClassFixture<KestrelServerFixture>
{
    private Task<TestProject> NewProjectAsync() => fixture.Kestrel.CreateProjectAsync("sdk-" + Guid.NewGuid().ToString("N")[..8]);

    private static SentryClient DotnetClient(TestProject project) => new(new SentryOptions
    {
        Dsn = project.Dsn(),
        Release = "tests@1.0.0",
        AutoSessionTracking = false,
        SendClientReports = false,
    });

    private static async Task<(JsonElement Issue, JsonElement Event)> OnlyIssueAsync(TestProject project, string title)
    {
        var issues = await project.IssuesAsync();
        var issue = Assert.Single(issues, i => i.GetProperty("title").GetString() == title);
        var events = await project.GetJsonAsync($"/api/issues/{issue.GetProperty("id").GetInt64()}/events");
        return (issue, events.GetProperty("events")[0].GetProperty("event"));
    }

    private static List<JsonElement> Frames(JsonElement stored, int exception = -1)
    {
        var values = stored.GetProperty("exception").GetProperty("values").EnumerateArray().ToList();
        return values[exception < 0 ? values.Count + exception : exception].GetProperty("stacktrace").GetProperty("frames").EnumerateArray().ToList();
    }

    private static void Charge() => throw new InvalidOperationException("Charging the card failed", new ArgumentException("Amount must be positive"));

    [Fact]
    public async Task Dotnet_capture_exception_with_an_inner_exception()
    {
        var project = await NewProjectAsync();
        using (var client = DotnetClient(project))
        {
            try { Charge(); }
            catch (Exception e) { client.CaptureEvent(new SentryEvent(e)); }
            await client.FlushAsync(TimeSpan.FromSeconds(30));
        }

        var (issue, stored) = await OnlyIssueAsync(project, "System.InvalidOperationException: Charging the card failed");
        Assert.Equal("System.InvalidOperationException", issue.GetProperty("type").GetString());
        Assert.Equal("error", issue.GetProperty("level").GetString());
        Assert.Contains("SentrySdkTests.Charge", issue.GetProperty("culprit").GetString());
        // The chain arrives oldest first; the outer exception, the one caught, is the main one.
        var types = stored.GetProperty("exception").GetProperty("values").EnumerateArray().Select(v => v.GetProperty("type").GetString());
        Assert.Equal(["System.ArgumentException", "System.InvalidOperationException"], types);
        var inApp = Frames(stored).Where(f => f.TryGetProperty("in_app", out var a) && a.GetBoolean()).Select(f => f.GetProperty("function").GetString()).ToList();
        Assert.Contains(inApp, f => f!.Contains("SentrySdkTests.Charge"));
        Assert.Contains(inApp, f => f!.Contains("Dotnet_capture_exception_with_an_inner_exception"));
        Assert.Equal("tests@1.0.0", stored.GetProperty("release").GetString());
    }

    [Fact]
    public async Task Dotnet_capture_message()
    {
        var project = await NewProjectAsync();
        using (var client = DotnetClient(project))
        {
            client.CaptureMessage("Invoice 1042 could not be sent", SentryLevel.Warning);
            client.CaptureMessage("Invoice 77 could not be sent", SentryLevel.Warning);
            await client.FlushAsync(TimeSpan.FromSeconds(30));
        }
        // .NET sends logentry without a stack; the numbers differ, the message is one problem.
        var issue = Assert.Single(await project.IssuesAsync());
        Assert.Equal(("Message", "warning", 2L), (issue.GetProperty("type").GetString(), issue.GetProperty("level").GetString(), issue.GetProperty("eventCount").GetInt64()));
        Assert.StartsWith("Invoice ", issue.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Dotnet_unhandled_exception_from_a_process_that_dies()
    {
        var project = await NewProjectAsync();
        var run = await SentryClients.DotnetAsync(project.Dsn(), "unhandled");
        Assert.NotEqual(0, run.ExitCode); // the runtime ends the process after the SDK has sent the event
        Assert.Contains("Unhandled exception", run.Stderr);

        var (issue, stored) = await OnlyIssueAsync(project, "System.FormatException: Ledger line 17 is not a number");
        Assert.Equal("Program.cs in void Billing.Reconcile()", issue.GetProperty("culprit").GetString());
        var main = stored.GetProperty("exception").GetProperty("values").EnumerateArray().Last();
        Assert.False(main.GetProperty("mechanism").GetProperty("handled").GetBoolean());
    }

    [Fact]
    public async Task Node_capture_exception()
    {
        var project = await NewProjectAsync();
        var run = await SentryClients.NodeAsync(project.Dsn(), "exception");
        Assert.True(run.ExitCode == 0, run.Stderr);

        var (issue, stored) = await OnlyIssueAsync(project, "TypeError: Order 42 has no items");
        Assert.Equal("TypeError", issue.GetProperty("type").GetString());
        Assert.EndsWith("report.mjs in checkout", issue.GetProperty("culprit").GetString());
        var frames = Frames(stored);
        var top = frames[^1];
        Assert.Equal(("checkout", true), (top.GetProperty("function").GetString(), top.GetProperty("in_app").GetBoolean()));
        Assert.Contains("throw new TypeError", top.GetProperty("context_line").GetString());
        Assert.Contains(frames, f => !f.GetProperty("in_app").GetBoolean()); // node internals
        Assert.Equal("shop-web@2.4.1", stored.GetProperty("release").GetString());
    }

    [Fact]
    public async Task Node_capture_message_groups_by_its_text()
    {
        var project = await NewProjectAsync();
        var run = await SentryClients.NodeAsync(project.Dsn(), "message");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var (issue, stored) = await OnlyIssueAsync(project, "Payment provider answered slowly");
        Assert.Equal(("Message", "info"), (issue.GetProperty("type").GetString(), issue.GetProperty("level").GetString()));
        Assert.EndsWith("report.mjs", issue.GetProperty("culprit").GetString());
        Assert.Equal("Payment provider answered slowly", stored.GetProperty("logentry").GetProperty("formatted").GetString());
    }

    [Fact]
    public async Task Node_unhandled_rejection()
    {
        var project = await NewProjectAsync();
        var run = await SentryClients.NodeAsync(project.Dsn(), "rejection");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var (issue, stored) = await OnlyIssueAsync(project, "RangeError: Cart 7 total went negative");
        Assert.EndsWith("report.mjs in applyDiscount", issue.GetProperty("culprit").GetString());
        var main = stored.GetProperty("exception").GetProperty("values")[0];
        Assert.EndsWith("onunhandledrejection", main.GetProperty("mechanism").GetProperty("type").GetString());
        Assert.False(main.GetProperty("mechanism").GetProperty("handled").GetBoolean());
    }
}
