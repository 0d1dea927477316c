using System.Globalization;

namespace Kestrel.Bench;

public sealed class BenchOptions
{
    public string Mode { get; private set; } = "all";
    public string? ServerDirectory { get; private set; }
    public int Concurrency { get; private set; } = 32;
    public double Seconds { get; private set; } = 10;
    public double Warmup { get; private set; } = 3;
    public int Batch { get; private set; } = 100;
    public double? Rate { get; private set; }
    public int Runs { get; private set; } = 1;
    public int Windows { get; private set; } = 1;
    public double Settle { get; private set; } = 5;
    public int MaxInFlight { get; private set; } = 4096;
    public int EnvelopePool { get; private set; } = 80_000;
    public string? Output { get; private set; }
    public string DataRoot { get; private set; } = Path.GetTempPath();
    public Dictionary<string, string> ServerEnvironment { get; } = [];
    public Uri? DatabaseUrl { get; private set; }
    public int Nodes { get; private set; } = 2;
    public int Issues { get; private set; } = 10_000;
    public int Events { get; private set; } = 1_000_000;
    public int Samples { get; private set; } = 30;
    public string? Cache { get; private set; }

    public int DatabaseMegabytes { get; private set; } = 1024;
    public int MapsMegabytes { get; private set; } = 100;

    public const string Usage = """
        Usage: Kestrel.Bench [all|single|envelope|batch|ceiling|latency|wrk|soak|pages|backup|nodes] [options]
          all        ceiling, single events, envelopes, arrays, then latency at a fixed rate (default)
          single     one event per request to Kestrel
          envelope   single, then the same events as gzip envelopes to /api/{id}/envelope/
          alerts     single events without alert rules, then with 3 rules on 2 channels (interleaved per run)
          soak       one server for --seconds (use 600) under open-loop mixed load at --rate (600)
                     requests/s, retention running every 30 s; prints a line per 30 s window
          batch      arrays of --batch events per request to Kestrel
          ceiling    the same bodies to a trivial endpoint that only reads them
          latency    an open-loop sender at --rate requests/s (default: half the measured ceiling)
          wrk        single events posted by wrk (-t2 -c<concurrency>) to the ceiling sink, then to Kestrel, in
                     every run; needs wrk (scripts/install-bench-deps.sh)
          pages      web UI render times over a database of --issues issues and --events events
          backup     fill a server to --db-mb with --maps-mb of maps, then open-loop load at --rate (500)
                     for --seconds without a backup and again during `kestrel backup`, per run
          nodes      single events to --nodes Kestrel nodes on one PostgreSQL database (needs --database-url),
                     each node taking an equal share of the --concurrency connections
        Options:
          --server DIR            a published Kestrel (default: dotnet publish src/Kestrel -c Release)
          --concurrency N         requests in flight in closed-loop modes (32)
          --seconds S             measured time per mode (10)
          --warmup S              load before measuring, not counted (3)
          --batch N               events per array in batch mode (100)
          --rate R                requests/s in latency mode
          --runs N                repeat everything N times and print medians (1)
          --windows N             also report each Kestrel phase's measured time as N consecutive windows, to show
                                  warm-up (e.g. --seconds 60 --windows 6) (1: off)
          --nodes N               nodes mode: how many nodes (2); 1 gives the one-node figures to compare with
          --writer-max-batch N    sets KESTREL_WRITER_MAX_BATCH for the server
          --env NAME=VALUE        any other environment variable for the server
          --database-url URL      run every Kestrel on PostgreSQL: a fresh database on the server of URL
                                  (postgres://user:password@host:port/db; the user must be able to create databases)
                                  for each, dropped afterwards (single, envelope, batch, latency, alerts, wrk, soak)
          --settle S              wait after load before reading idle memory (5)
          --max-in-flight N       open loop: skip a send when this many are unanswered (4096)
          --envelope-pool N       distinct gzip envelopes made before timing (80000)
          --out FILE              also write every run's figures as JSON
          --data-root DIR         where the servers' temporary data directories go (system temp)
          --issues N              pages: issues in the database (10000)
          --events N              pages: events in the database (1000000)
          --samples N             pages: measured fetches of each page (30)
          --cache DIR             pages: keep the built database in DIR and reuse it for a day (same --issues/--events)
          --db-mb N               backup mode: database size to fill to, in MB (1024)
          --maps-mb N             backup mode: source maps to add, in MB (100)
        """;

    public static BenchOptions? Parse(string[] args)
    {
        var options = new BenchOptions();
        var i = 0;
        if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal)) options.Mode = args[i++];
        if (options.Mode is not ("all" or "single" or "envelope" or "batch" or "ceiling" or "latency" or "soak" or "pages" or "backup" or "alerts" or "wrk" or "nodes")) return Fail($"Unknown mode '{options.Mode}'.");
        for (; i < args.Length; i += 2)
        {
            if (args[i] is "--help" or "-h") return Fail(null);
            if (i + 1 >= args.Length) return Fail($"{args[i]} needs a value.");
            var value = args[i + 1];
            switch (args[i])
            {
                case "--server": options.ServerDirectory = Path.GetFullPath(value); break;
                case "--concurrency": options.Concurrency = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--seconds": options.Seconds = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--warmup": options.Warmup = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--batch": options.Batch = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--rate": options.Rate = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--runs": options.Runs = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--windows": options.Windows = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--settle": options.Settle = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--max-in-flight": options.MaxInFlight = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--envelope-pool": options.EnvelopePool = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--out": options.Output = Path.GetFullPath(value); break;
                case "--data-root": options.DataRoot = Path.GetFullPath(value); break;
                case "--issues": options.Issues = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--events": options.Events = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--samples": options.Samples = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--cache": options.Cache = Path.GetFullPath(value); break;
                case "--db-mb": options.DatabaseMegabytes = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--maps-mb": options.MapsMegabytes = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--nodes": options.Nodes = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--writer-max-batch": options.ServerEnvironment["KESTREL_WRITER_MAX_BATCH"] = value; break;
                case "--env" when value.Split('=', 2) is [var name, var setting]: options.ServerEnvironment[name] = setting; break;
                case "--database-url" when Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "postgres" or "postgresql":
                    options.DatabaseUrl = url;
                    break;
                case "--database-url": return Fail("--database-url must be a postgres:// URL.");
                default: return Fail($"Unknown option '{args[i]}'.");
            }
        }
        if (options.Mode == "nodes" && (options.DatabaseUrl is null || options.Nodes < 1))
            return Fail("nodes mode runs --nodes N (1 or more) Kestrel nodes on one PostgreSQL database: give --database-url.");
        if (options.DatabaseUrl is not null && options.Mode is "pages" or "backup")
            return Fail($"{options.Mode} mode fills kestrel.db directly, so it runs on SQLite only (leave out --database-url).");
        return options;
    }

    private static BenchOptions? Fail(string? message)
    {
        if (message is not null) Console.Error.WriteLine(message);
        Console.Error.WriteLine(Usage);
        return null;
    }
}
