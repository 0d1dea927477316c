// Kestrel.Bench: load tests a published Kestrel against an HTTP ceiling. See bench/README.md.
global using Metrics = System.Collections.Generic.OrderedDictionary<string, double>;
using Kestrel.Bench;

if (args is ["ceiling-server", ..]) return await CeilingServer.RunAsync();
if (args is ["startup", .. var published]) return await StartupBench.RunAsync(published);
if (BenchOptions.Parse(args) is not { } options) return 2;

if (options.Mode == "wrk" && WrkBench.FindWrk() is null) return 2;
BenchDatabases.Server = options.DatabaseUrl;
var serverDirectory = options.ServerDirectory ?? await BenchRunner.PublishServerAsync();

if (options.Mode == "pages") return await RunAllAsync(() => PagesBench.RunAsync(options, serverDirectory));

// Bodies are made before anything is timed, from a fixed seed so every run sends the same events.
var random = new Random(20261126);
var issues = IssueCatalog.Create(1000, random);
var factory = new EventFactory(random);
var picks = issues.Concat(Enumerable.Range(0, 3096).Select(_ => issues[(int)(issues.Count * Math.Pow(random.NextDouble(), 2))])).ToArray();
random.Shuffle(picks); // every issue at least once, a few hot ones often, as in real traffic
var events = picks.Select(factory.Create).ToList();
var singles = BodySet.Singles(events);
var arrays = BodySet.Arrays(events, options.Batch, 64);
var envelopes = options.Mode is "all" or "envelope" or "soak" ? BodySet.GzipEnvelopes(events, options.EnvelopePool) : null;
var sizes = events.Select(e => e.Length).Order().ToArray();
Console.WriteLine($"{events.Count} events of {sizes[0]}–{sizes[^1]} bytes (median {sizes[sizes.Length / 2]}) from {issues.Count} issues; "
    + $"{100.0 * factory.DeepEvents / events.Count:0}% with 20–40 frames; arrays of {options.Batch}: {arrays.MeanBytes / 1024:0} KB each.");
Console.WriteLine($"Server: {serverDirectory}; mode {options.Mode}, concurrency {options.Concurrency}, {options.Warmup} s warm-up + {options.Seconds} s measured"
    + string.Concat(options.ServerEnvironment.Select(e => $", {e.Key}={e.Value}"))
    + (options.DatabaseUrl is { } url ? $"; on PostgreSQL at {url.Host}:{url.Port} (a fresh database per server)" : "; on SQLite"));

if (options.Mode == "soak")
    return await new SoakRunner(options, serverDirectory, singles, BodySet.Arrays(events, 10, 400), envelopes!).RunAsync();
if (options.Mode == "backup") return await BackupBench.RunAsync(options, serverDirectory, singles, arrays);
if (options.Mode == "wrk")
{
    using var wrk = new WrkBench(options, serverDirectory, events);
    return await RunAllAsync(wrk.RunOnceAsync);
}

var runner = new BenchRunner(options, serverDirectory, singles, arrays, envelopes);
return await RunAllAsync(runner.RunOnceAsync);

// Runs every mode's figures --runs times, printing each run and then the medians.
async Task<int> RunAllAsync(Func<Task<Metrics>> runOnce)
{
    var runs = new List<Metrics>();
    for (var run = 1; run <= options.Runs; run++)
    {
        Console.WriteLine($"Run {run} of {options.Runs} ...");
        runs.Add(await runOnce());
        Report.Print([runs[^1]], run);
    }
    if (runs.Count > 1) Report.Print(runs);
    if (options.Output is not null) Report.Write(options.Output, options, runs);
    return 0;
}
