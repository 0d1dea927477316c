using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Operations;

/// <summary>
/// An error storm, bounded in count: 48 senders post 1,600 requests of 10 events to a server whose rate
/// limit and writer queue are both far below that. It must keep answering health checks and the UI quickly, keep
/// its memory bounded, answer only 200, 429 or 503, and have stored exactly the events it accepted.
/// </summary>
public sealed partial class StormTests
{
    private const int Requests = 1600;
    private const int Senders = 48;

    [Fact]
    public async Task A_storm_above_the_rate_limit_and_queue_bound_is_survived()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string>
        {
            ["KESTREL_RATE_LIMIT_PER_MINUTE"] = "600", // 60 requests of 10 events, then 1 per second
            ["KESTREL_WRITER_QUEUE_CAPACITY"] = "8",
        });
        var project = await server.CreateProjectAsync();
        var body = "[" + string.Join(',', Enumerable.Range(0, 10).Select(i => Events.Exception($"StormError{i % 3}", $"storm {i}"))) + "]";

        var statuses = new int[Requests];
        var next = -1;
        var senders = Enumerable.Range(0, Senders).Select(_ => Task.Run(async () =>
        {
            for (int i; (i = Interlocked.Increment(ref next)) < Requests;)
            {
                using var response = await project.PostEventAsync(body);
                statuses[i] = (int)response.StatusCode;
            }
        })).ToArray();

        // Health checks and the UI's sign-in page while the storm lasts, timed as a pair.
        var probes = new List<double>();
        while (!senders.All(s => s.IsCompleted))
        {
            var started = Stopwatch.GetTimestamp();
            using (var health = await server.Http.GetAsync("/healthz"))
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            using (var signIn = await server.Http.GetAsync("/login")) // the web UI's page
                Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
            probes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            await Task.WhenAny(Task.WhenAll(senders), Task.Delay(50));
        }
        await Task.WhenAll(senders);

        Assert.All(statuses, s => Assert.Contains(s, new[] { 200, 429, 503 }));
        var accepted = statuses.Count(s => s == 200) * 10;
        Assert.True(statuses.Count(s => s == 429) > 0, "the storm never went over the rate limit");
        Assert.True(accepted > 0);
        // Bounds for a shared 2-core machine running the client too: typical answers fast, none stalled.
        var median = probes.Order().ElementAt(probes.Count / 2);
        Assert.True(probes.Count > 0 && median < 1000 && probes.Max() < 10_000,
            $"health and sign-in checks: median {median:0} ms, slowest {probes.Max():0} ms of {probes.Count}");
        Assert.Equal(accepted, (await project.IssuesAsync()).Sum(i => i.GetProperty("eventCount").GetInt64()));

        var peakMb = PeakRssMb(server.ProcessId);
        Assert.True(peakMb < 400, $"peak RSS {peakMb} MB");
    }

    private static long PeakRssMb(int pid) =>
        long.Parse(VmHwm().Match(File.ReadAllText($"/proc/{pid}/status")).Groups[1].Value) / 1024;

    [GeneratedRegex(@"VmHWM:\s+(\d+) kB")]
    private static partial Regex VmHwm();
}
