using System.Globalization;

namespace Kestrel.Bench;

/// <summary>
/// A bounded soak: one server for the whole time, open-loop load on three endpoints at once (single events
/// to /api/events, arrays of 10 to /api/events, gzip envelopes to /api/{id}/envelope/), with retention
/// running every 30 s and a per-issue cap of 200 events, so it deletes and vacuums while ingest goes on.
/// Prints one line per window: throughput, errors, p99, RSS, rows and database size. Flat RSS and steady
/// throughput over the windows are what it checks.
/// </summary>
public sealed class SoakRunner(BenchOptions options, string serverDirectory, BodySet singles, BodySet tens, BodySet envelopes)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    public async Task<int> RunAsync()
    {
        var environment = new Dictionary<string, string>(options.ServerEnvironment)
        {
            ["KESTREL_RETENTION_MAX_EVENTS_PER_ISSUE"] = "200",
            ["KESTREL_RETENTION_INTERVAL_SECONDS"] = "30",
        };
        await using var server = await ChildServer.StartKestrelAsync(serverDirectory, options.DataRoot, environment);
        var (id, key) = server.Project!.Value;
        using var single = new LoadClient(server.BaseUrl, LoadTarget.Events(server.Token), singles);
        using var ten = new LoadClient(server.BaseUrl, LoadTarget.Events(server.Token), tens);
        using var envelope = new LoadClient(server.BaseUrl, LoadTarget.Envelope(id, key), envelopes);
        var rate = options.Rate ?? 600; // requests/s over the three clients together
        var windows = (int)Math.Ceiling(options.Seconds / Window.TotalSeconds);
        Console.WriteLine($"Soak: {windows} windows of {Window.TotalSeconds:0} s at {rate:0} requests/s (a third each: single, arrays of 10, gzip envelopes)");
        Console.WriteLine("window   req/s  events/s  non-200   p99 ms   RSS MB   events rows   db MB");

        var errors = 0L;
        var rss = new List<double>();
        var throughput = new List<double>();
        for (var w = 1; w <= windows; w++)
        {
            var rowsBefore = server.CountRows("events");
            var results = await Task.WhenAll(
                single.RunOpenAsync(rate / 3, Window, options.MaxInFlight),
                ten.RunOpenAsync(rate / 3, Window, options.MaxInFlight),
                envelope.RunOpenAsync(rate / 3, Window, options.MaxInFlight));
            var ok = results.Sum(r => r.Ok);
            var bad = results.Sum(r => r.NotOk + r.Failed + r.Skipped);
            var wall = results.Max(r => r.WallSeconds);
            var accepted = (results[0].Ok + results[1].Ok * 10 + results[2].Ok) / wall;
            var p99 = new LoadResult(0, 0, 0, 0, [.. results.SelectMany(r => r.LatenciesMs)], wall).Percentile(99);
            var rssMb = server.Monitor.RssKb / 1024.0;
            errors += bad;
            rss.Add(rssMb);
            throughput.Add(accepted);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{w,6} {ok / wall,7:0} {accepted,9:0} {bad,8} {p99,8:0.0} {rssMb,8:0} {server.CountRows("events"),13} {server.DatabaseBytes / 1024.0 / 1024,7:0.0}"));
        }

        var half = rss.Count / 2;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RSS MB: first half median {Report.Median(rss.Take(half)):0}, second half median {Report.Median(rss.Skip(half)):0}, max {rss.Max():0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Accepted events/s: first half median {Report.Median(throughput.Take(half)):0}, second half median {Report.Median(throughput.Skip(half)):0}; non-200 answers {errors}"));
        Console.WriteLine($"Server log (last lines):\n{server.RecentOutput}");
        return errors == 0 ? 0 : 1;
    }
}
