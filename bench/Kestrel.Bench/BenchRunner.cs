using System.Diagnostics;

namespace Kestrel.Bench;

/// <summary>
/// One run: the ceiling first (nothing else running), then each Kestrel mode against a freshly started
/// server with an empty data directory, so every mode's memory and database start from the same place.
/// </summary>
public sealed class BenchRunner(BenchOptions options, string serverDirectory, BodySet singles, BodySet arrays, BodySet? envelopes)
{
    private TimeSpan Measured => TimeSpan.FromSeconds(options.Seconds);
    private TimeSpan Warmup => TimeSpan.FromSeconds(options.Warmup);

    public async Task<Metrics> RunOnceAsync()
    {
        var m = new Metrics();
        var mode = options.Mode;
        double? ceiling = null;
        if (mode is "all" or "ceiling" || (mode == "latency" && options.Rate is null))
            ceiling = await CeilingAsync(m, "ceiling, single", singles);
        if (mode is "all" or "ceiling")
            await CeilingAsync(m, "ceiling, arrays", arrays);
        if (mode is "all" or "single" or "envelope")
        {
            await KestrelAsync(m, "single", singles, client => client.RunClosedAsync(options.Concurrency, Warmup),
                client => client.RunClosedAsync(options.Concurrency, Measured));
            if (ceiling is { } c) m["single: processed / ceiling, %"] = 100 * m["single: processed events/s"] / c;
        }
        if (mode == "nodes") await NodesBench.RunAsync(m, options, serverDirectory, singles);
        if (mode == "alerts")
        {
            // Interleaved A/B in every run: the same load without alert rules, then with 3 rules on 2 channels.
            await KestrelAsync(m, "single, no alerts", singles, client => client.RunClosedAsync(options.Concurrency, Warmup),
                client => client.RunClosedAsync(options.Concurrency, Measured));
            await KestrelAsync(m, "single, 3 rules 2 channels", singles, client => client.RunClosedAsync(options.Concurrency, Warmup),
                client => client.RunClosedAsync(options.Concurrency, Measured), prepare: AlertsSetup.ConfigureAsync);
            m["alerts: processed / without, %"] = 100 * m["single, 3 rules 2 channels: processed events/s"] / m["single, no alerts: processed events/s"];
            m["alerts: CPU per event / without, %"] = 100 * m["single, 3 rules 2 channels: server CPU µs per event"] / m["single, no alerts: server CPU µs per event"];
        }
        if (mode is "all" or "envelope")
        {
            // The same events as "single", each in a gzip envelope to the Sentry endpoint, as the .NET SDK sends them.
            await KestrelAsync(m, "envelope", envelopes!, client => client.RunClosedAsync(options.Concurrency, Warmup),
                client => client.RunClosedAsync(options.Concurrency, Measured),
                server => LoadTarget.Envelope(server.Project!.Value.Id, server.Project.Value.PublicKey));
            m["envelope: processed / single processed, %"] = 100 * m["envelope: processed events/s"] / m["single: processed events/s"];
            m["envelope: CPU per event / single's, %"] = 100 * m["envelope: server CPU µs per event"] / m["single: server CPU µs per event"];
        }
        if (mode is "all" or "batch")
        {
            await KestrelAsync(m, "arrays", arrays, client => client.RunClosedAsync(options.Concurrency, Warmup),
                client => client.RunClosedAsync(options.Concurrency, Measured));
            if (m.TryGetValue("ceiling, arrays: events/s", out var c))
                m["arrays: processed / ceiling, %"] = 100 * m["arrays: processed events/s"] / c;
        }
        if (mode is "all" or "latency")
        {
            var rate = options.Rate ?? ceiling!.Value / 2;
            m["latency: target req/s"] = rate;
            await KestrelAsync(m, "latency", singles, client => client.RunOpenAsync(rate, Warmup, options.MaxInFlight),
                client => client.RunOpenAsync(rate, Measured, options.MaxInFlight));
        }
        return m;
    }

    private async Task<double> CeilingAsync(Metrics m, string name, BodySet bodies)
    {
        await using var server = await ChildServer.StartCeilingAsync();
        using var client = new LoadClient(server.BaseUrl, token: null, bodies);
        await client.RunClosedAsync(options.Concurrency, Warmup);
        var (result, window) = await MeasureAsync(m, name, server, () => client.RunClosedAsync(options.Concurrency, Measured));
        window.Report(m, name, result.Ok, "request");
        m[$"{name}: events/s"] = result.OkPerSecond * bodies.EventsPerBody;
        return result.OkPerSecond;
    }

    private async Task KestrelAsync(Metrics m, string name, BodySet bodies, Func<LoadClient, Task<LoadResult>> warm, Func<LoadClient, Task<LoadResult>> measure,
        Func<ChildServer, LoadTarget>? target = null, Func<ChildServer, Task>? prepare = null)
    {
        await using var server = await ChildServer.StartKestrelAsync(serverDirectory, options.DataRoot, options.ServerEnvironment);
        if (prepare is not null) await prepare(server);
        await Task.Delay(TimeSpan.FromSeconds(1));
        m[$"{name}: RSS idle after start, MB"] = server.Monitor.RssKb / 1024.0;
        using var client = new LoadClient(server.BaseUrl, target?.Invoke(server) ?? LoadTarget.Events(server.Token), bodies);
        await warm(client);

        // Every answer came after its commit, so once the phase's last answer is in, its rows are all there.
        var before = server.CountRows("events");
        var (result, window) = await MeasureAsync(m, name, server, async () =>
        {
            var load = measure(client);
            await WindowSplit.RunAsync(m, name, server, options.Windows, options.Seconds, load);
            return await load;
        });
        var processed = server.CountRows("events") - before;
        m[$"{name}: processed events/s"] = processed / result.WallSeconds;
        window.Report(m, name, processed, "event");
        m[$"{name}: accepted events/s"] = result.OkPerSecond * bodies.EventsPerBody;
        m[$"{name}: issues (distinct fingerprints)"] = server.CountRows("issues");

        await Task.Delay(TimeSpan.FromSeconds(options.Settle));
        m[$"{name}: RSS idle after load, MB"] = server.Monitor.RssKb / 1024.0;
        m[$"{name}: VmHWM, MB"] = server.Monitor.HighWaterMarkKb / 1024.0;
    }

    /// <summary>Runs the measured phase inside a <see cref="ServerWindow"/>; the caller reports the window per event or request.</summary>
    private static async Task<(LoadResult Result, ServerWindow Window)> MeasureAsync(Metrics m, string name, ChildServer server, Func<Task<LoadResult>> load)
    {
        var clientBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var window = await ServerWindow.StartAsync(server);
        var result = await load();
        await window.StopAsync();
        var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - clientBefore).TotalSeconds;

        m[$"{name}: requests/s (200)"] = result.OkPerSecond;
        m[$"{name}: p50 ms"] = result.Percentile(50);
        m[$"{name}: p95 ms"] = result.Percentile(95);
        m[$"{name}: p99 ms"] = result.Percentile(99);
        m[$"{name}: non-200 answers"] = result.NotOk + result.Failed;
        if (result.Skipped > 0) m[$"{name}: sends skipped (too many in flight)"] = result.Skipped;
        m[$"{name}: client CPU, cores"] = clientCpu / window.WallSeconds;
        return (result, window);
    }

    /// <summary>Publishes src/Kestrel in Release to a temporary folder and returns the folder.</summary>
    public static async Task<string> PublishServerAsync()
    {
        var root = FindRepositoryRoot() ?? throw new InvalidOperationException("Run from inside the repository, or pass --server DIR.");
        var output = Path.Combine(Path.GetTempPath(), "kestrel-bench-server");
        Console.WriteLine($"Publishing src/Kestrel (Release) to {output} ...");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["publish", Path.Combine(root, "src", "Kestrel"), "-c", "Release", "-o", output, "--nologo"]) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var log = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"dotnet publish failed:\n{await log}\n{await errors}");
        return output;
    }

    private static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Kestrel.slnx"))) return dir.FullName;
        return null;
    }
}
