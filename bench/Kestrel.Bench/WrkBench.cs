using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Kestrel.Bench;

/// <summary>
/// The `wrk` mode: the same single events posted by wrk (a C load generator much leaner than the bench's own
/// HttpClient) to the ceiling sink and to Kestrel, sink then Kestrel in every run, so both see the same noise.
/// wrk runs wrk.lua, which reads the bodies from a file once and writes a fresh random event_id into each request.
/// </summary>
public sealed partial class WrkBench(BenchOptions options, string serverDirectory, IReadOnlyList<byte[]> events) : IDisposable
{
    private const int Threads = 2;
    private readonly string workDirectory = Directory.CreateTempSubdirectory("kestrel-bench-wrk-").FullName;
    private string Generator => $"wrk -t{Threads} -c{options.Concurrency}";

    /// <summary>wrk's path, or null with a hint printed when it is not installed.</summary>
    public static string? FindWrk()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, "wrk"))) return Path.Combine(dir, "wrk");
        Console.Error.WriteLine("wrk is not installed: run scripts/install-bench-deps.sh (apt-get install wrk).");
        return null;
    }

    public async Task<Metrics> RunOnceAsync()
    {
        var wrk = FindWrk() ?? throw new InvalidOperationException("wrk is not installed.");
        var bodies = Path.Combine(workDirectory, "events.jsonl");
        if (!File.Exists(bodies)) WriteBodies(bodies);
        var m = new Metrics();

        await using (var sink = await ChildServer.StartCeilingAsync())
        {
            var name = $"sink ({Generator})";
            var (result, window, _) = await LoadAsync(m, name, wrk, sink, bodies, token: "none");
            Report(m, name, result, window);
            window.Report(m, name, result.Requests, "request", result.Seconds);
        }
        await using (var kestrel = await ChildServer.StartKestrelAsync(serverDirectory, options.DataRoot, options.ServerEnvironment))
        {
            // Rows are counted once the warm-up's last writes are in, and again once the measured run's are.
            var name = $"Kestrel ({Generator})";
            var (result, window, before) = await LoadAsync(m, name, wrk, kestrel, bodies, kestrel.Token!, () => SettledRowsAsync(kestrel));
            var processed = await SettledRowsAsync(kestrel) - before;
            Report(m, name, result, window);
            // wrk's own duration: the window also holds wrk's start-up (reading the bodies), when nothing is sent.
            m[$"{name}: processed events/s"] = processed / result.Seconds;
            window.Report(m, name, processed, "event", result.Seconds);
            m[$"{name}: issues (distinct fingerprints)"] = kestrel.CountRows("issues");
        }
        m[$"Kestrel processed / sink requests ({Generator}), %"] =
            100 * m[$"Kestrel ({Generator}): processed events/s"] / m[$"sink ({Generator}): requests/s"];
        return m;
    }

    /// <summary>A warm-up run of wrk, then the measured one inside a <see cref="ServerWindow"/>.</summary>
    /// <param name="settle">Kestrel only: waits until the warm-up's last writes are in, so the measured window starts clean,
    /// and counts rows; the measured run is also split into --windows</param>
    private async Task<(WrkResult Result, ServerWindow Window, long RowsBefore)> LoadAsync(Metrics m, string name, string wrk, ChildServer server,
        string bodies, string token, Func<Task<long>>? settle = null)
    {
        await RunWrkAsync(wrk, server, bodies, token, options.Warmup);
        var rowsBefore = settle is null ? 0 : await settle();
        var window = await ServerWindow.StartAsync(server);
        var run = RunWrkAsync(wrk, server, bodies, token, options.Seconds);
        if (settle is not null) await WindowSplit.RunAsync(m, name, server, options.Windows, options.Seconds, run);
        var result = await run;
        await window.StopAsync();
        return (result, window, rowsBefore);
    }

    private static void Report(Metrics m, string name, WrkResult result, ServerWindow window)
    {
        m[$"{name}: requests/s"] = result.Requests / result.Seconds;
        m[$"{name}: p50 ms"] = result.P50Ms;
        m[$"{name}: p99 ms"] = result.P99Ms;
        m[$"{name}: errors (non-2xx, socket)"] = result.Errors;
        m[$"{name}: wrk CPU, cores"] = result.ClientCpuSeconds / result.Seconds;
    }

    private sealed record WrkResult(long Requests, double Seconds, long Errors, double P50Ms, double P99Ms, double ClientCpuSeconds);

    private async Task<WrkResult> RunWrkAsync(string wrk, ChildServer server, string bodies, string token, double seconds)
    {
        // wrk takes whole seconds only.
        var duration = Math.Max(1, (int)Math.Round(seconds)).ToString(CultureInfo.InvariantCulture) + "s";
        var script = Path.Combine(AppContext.BaseDirectory, "wrk.lua");
        var seed = Random.Shared.Next(1, 1_000_000).ToString(CultureInfo.InvariantCulture);
        var info = new ProcessStartInfo(wrk) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[$"-t{Threads}", $"-c{options.Concurrency}", $"-d{duration}", "--timeout", "30s", "-s", script,
            new Uri(server.BaseUrl, "/api/events").ToString(), "--", bodies, token, seed])
            info.ArgumentList.Add(a);
        var cpuBefore = ChildrenCpuSeconds();
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var cpu = ChildrenCpuSeconds() - cpuBefore; // wrk is the only child that ends meanwhile
        if (process.ExitCode != 0 || Summary().Match(await output) is not { Success: true } s)
            throw new InvalidOperationException($"wrk failed ({process.ExitCode}): {await output}\n{await error}");
        long Field(string name) => long.Parse(s.Groups[name].Value, CultureInfo.InvariantCulture);
        return new WrkResult(Field("requests"), Field("duration") / 1e6,
            Field("non2xx") + Field("connect") + Field("read") + Field("write") + Field("timeout"), Field("p50") / 1000.0, Field("p99") / 1000.0, cpu);
    }

    /// <summary>
    /// Rows in events once they stop changing: wrk stops without waiting for its last answers, and the writer
    /// commits those after. Polls every 100 ms until two reads agree, up to 10 s.
    /// </summary>
    private static async Task<long> SettledRowsAsync(ChildServer server)
    {
        var deadline = Stopwatch.StartNew();
        var last = server.CountRows("events");
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
            var now = server.CountRows("events");
            if (now == last) return now;
            last = now;
        }
        return last;
    }

    /// <summary>One event per line (the bench's JSON holds no raw line breaks), as wrk.lua reads them.</summary>
    private void WriteBodies(string path)
    {
        using var file = File.Create(path);
        foreach (var e in events)
        {
            if (e.AsSpan().IndexOf((byte)'\n') >= 0) throw new InvalidOperationException("An event holds a raw line break.");
            file.Write(e);
            file.WriteByte((byte)'\n');
        }
    }

    /// <summary>CPU seconds of this process's ended and waited-for children (getrusage RUSAGE_CHILDREN).</summary>
    private static double ChildrenCpuSeconds()
    {
        var usage = new long[18]; // struct rusage: two timevals, then 14 longs
        return GetRusage(-1, usage) == 0 ? usage[0] + usage[1] / 1e6 + usage[2] + usage[3] / 1e6 : double.NaN;
    }

    public void Dispose() => Directory.Delete(workDirectory, recursive: true);

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRusage(int who, long[] usage);

    [GeneratedRegex(@"kestrel-bench requests=(?<requests>\d+) duration_us=(?<duration>\d+) non2xx=(?<non2xx>\d+) connect=(?<connect>\d+) read=(?<read>\d+) write=(?<write>\d+) timeout=(?<timeout>\d+) p50_us=(?<p50>\d+) p99_us=(?<p99>\d+)")]
    private static partial Regex Summary();
}
