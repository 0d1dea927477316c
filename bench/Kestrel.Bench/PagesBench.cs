using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Kestrel.Bench;

/// <summary>
/// <c>pages</c> mode: server render times of the web UI over a large database (10,000 issues and
/// 1,000,000 events by default). Each page is fetched <c>--samples</c> times one after another by a
/// signed-in client on loopback, after a few unmeasured fetches; the figures are medians and 95th
/// percentiles of the time to the last byte. <c>/healthz</c>, measured the same way, is the baseline:
/// what HTTP on this machine costs without any page.
/// </summary>
public static partial class PagesBench
{
    private const string Password = "bench-password";

    public static async Task<Metrics> RunAsync(BenchOptions options, string serverDirectory)
    {
        var m = new Metrics();
        PageData.Summary? data = null;
        // Retention's per-issue cap (10,000 by default) would trim the hottest issue's old events, one of which is measured.
        var environment = new Dictionary<string, string>(options.ServerEnvironment)
        {
            ["KESTREL_ADMIN_PASSWORD"] = Password,
            ["KESTREL_RETENTION_MAX_EVENTS_PER_ISSUE"] = "0",
        };
        var cache = options.Cache is null ? null : new PageCache(options.Cache, options.Issues, options.Events);
        await using var server = await ChildServer.StartKestrelAsync(serverDirectory, options.DataRoot, environment, (database, project) =>
        {
            Console.WriteLine($"Building a database with {options.Issues:N0} issues and {options.Events:N0} events ...");
            data = PageData.Fill(database, project.GetProperty("id").GetInt64(), options.Issues, options.Events, new Random(20261127));
            cache?.Save(database, project, data);
        }, cache is null ? null : cache.Restore);
        if (data is not null) m["pages: database build, s"] = data.Took.TotalSeconds;
        data ??= cache!.Restored!;
        m["pages: kestrel.db, MB"] = data.DatabaseBytes / 1024.0 / 1024.0;

        using var client = await SignInAsync(server.BaseUrl);
        var list = "/projects/bench/issues";
        var pages = new List<(string Name, string Path)>
        {
            ("baseline /healthz", "/healthz"),
            ("projects", "/projects"),
            ("issue list, open, last seen", list),
            ("issue list, resolved", list + "?status=resolved"),
            ("issue list, sort by events", list + "?sort=events"),
            ("issue list, sort by first seen", list + "?sort=first_seen"),
            ("issue list, search", list + "?query=Payment"),
            ("issue list, page 20", await FollowNextAsync(client, list, 19)),
            ("issue page, hottest issue", $"{list}/{data.HotIssue}"),
            ("issue page, typical issue", $"{list}/{data.TypicalIssue}"),
            ("issue page, an old event", $"{list}/{data.HotIssue}?event={data.OldEventOfHotIssue}"),
            ("project settings", "/projects/bench/settings"),
            ("api issue list (session)", "/api/issues?project=bench&limit=50"),
            // The search terms of PRODUCT §15, through the API (one page) and the list page (a page and every tab's count).
            ("api search, tag browser:\"Chrome 130\"", Api("browser:\"Chrome 130\"")),
            ("api search, negation !environment:production", Api("!environment:production")),
            ("api search, release:latest", Api("release:latest")),
            ("api search, timesSeen:>100", Api("timesSeen:>100")),
            ("api search, negation !browser:\"Chrome 130\"", Api("!browser:\"Chrome 130\"")),
            ("api search, free text Payment", Api("Payment")),
            ("api search, has:user", Api("has:user")),
            ("api search, users:>10", Api("users:>10")),
            ("api search, wildcard url:*checkout*", Api("url:*checkout*")),
            ("api search, rare tag url + environment", Api("url:https://shop.example/products/7 environment:development")),
            ("api search, sort by users", "/api/issues?project=bench&limit=50&sort=users"),
            ("api search, tag and negation, sort by users", Api("browser:\"Chrome 130\" !environment:production") + "&sort=users"),
            ("issue list, tag search", list + "?query=" + Uri.EscapeDataString("browser:\"Chrome 130\" !environment:production")),
            ("issue list, release:latest", list + "?query=release:latest"),
            ("api issue tags, hottest issue", $"/api/issues/{data.HotIssue}/tags?project=bench"),
        };
        foreach (var (name, path) in pages)
        {
            var (median, p95, bytes) = await MeasureAsync(client, path, options.Samples);
            m[$"pages: {name}: median ms"] = median;
            m[$"pages: {name}: p95 ms"] = p95;
            if (name != pages[0].Name) m[$"pages: {name}: KB"] = bytes / 1024.0;
        }
        return m;
    }

    private static string Api(string query) => "/api/issues?project=bench&limit=50&query=" + Uri.EscapeDataString(query);

    private static async Task<(double Median, double P95, long Bytes)> MeasureAsync(HttpClient client, string path, int samples)
    {
        long bytes = 0;
        for (var i = 0; i < 5; i++) bytes = (await Fetch(client, path)).Length;
        var times = new double[samples];
        for (var i = 0; i < samples; i++)
        {
            var clock = Stopwatch.StartNew();
            await Fetch(client, path);
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return (Report.Median(times), times[(int)Math.Ceiling(0.95 * samples) - 1], bytes);
    }

    private static async Task<byte[]> Fetch(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}.");
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>The path of the list page reached by following "Next page" <paramref name="times"/> times (or to the last page).</summary>
    private static async Task<string> FollowNextAsync(HttpClient client, string path, int times)
    {
        for (var i = 0; i < times; i++)
        {
            var next = NextLink().Match(await client.GetStringAsync(path));
            if (!next.Success) break; // a small database (--issues) has fewer pages
            path = WebUtility.HtmlDecode(next.Groups[1].Value);
        }
        return path;
    }

    private static async Task<HttpClient> SignInAsync(Uri address)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = address };
        var form = await client.GetStringAsync("/login");
        using var response = await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_csrf"] = CsrfField().Match(form).Groups[1].Value,
            ["password"] = Password,
        }));
        if (response.StatusCode != HttpStatusCode.Redirect) throw new InvalidOperationException($"Sign-in answered {(int)response.StatusCode}.");
        return client;
    }

    [GeneratedRegex("name=\"_csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();

    [GeneratedRegex("<a href=\"([^\"]+)\" rel=\"next\">Next page</a>")]
    private static partial Regex NextLink();
}
