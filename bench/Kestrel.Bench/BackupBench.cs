using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Kestrel.Bench;

/// <summary>
/// <c>backup</c> mode: one server is filled to <c>--db-mb</c> of database through its own ingest (arrays), with
/// <c>--maps-mb</c> of source maps beside it; then, for each run, ingest at a steady open-loop <c>--rate</c>
/// without a backup for <c>--seconds</c>, and again for exactly as long as a <c>kestrel backup</c> takes.
/// Latency percentiles of the two windows come from the same server in the same run.
/// </summary>
public static class BackupBench
{
    public static async Task<int> RunAsync(BenchOptions options, string serverDirectory, BodySet singles, BodySet arrays)
    {
        var rate = options.Rate ?? 500;
        await using var server = await ChildServer.StartKestrelAsync(serverDirectory, options.DataRoot, options.ServerEnvironment);
        var data = server.DataDirectory!;
        var database = Path.Combine(data, "kestrel.db");

        var fill = Stopwatch.StartNew();
        using (var filler = new LoadClient(server.BaseUrl, server.Token, arrays))
        {
            while (DatabaseBytes(database) < options.DatabaseMegabytes << 20)
            {
                var result = await filler.RunClosedAsync(options.Concurrency, TimeSpan.FromSeconds(10));
                Console.WriteLine(FormattableString.Invariant(
                    $"  filling: {DatabaseBytes(database) >> 20} MB after {fill.Elapsed.TotalSeconds:0} s ({result.OkPerSecond * arrays.EventsPerBody:N0} events/s, {result.NotOk + result.Failed} non-200)"));
            }
        }
        var mapBytes = WriteMaps(Path.Combine(data, "sourcemaps", "bench", "1.0", "static", "js"), options.MapsMegabytes);
        Console.WriteLine(FormattableString.Invariant(
            $"Database {DatabaseBytes(database) >> 20} MB ({server.CountRows("events"):N0} events) filled in {fill.Elapsed.TotalSeconds:0} s; maps {mapBytes >> 20} MB; load {rate} req/s of single events."));

        var runs = new List<Metrics>();
        using var client = new LoadClient(server.BaseUrl, server.Token, singles);
        await client.RunOpenAsync(rate, TimeSpan.FromSeconds(options.Warmup), options.MaxInFlight);
        for (var run = 1; run <= options.Runs; run++)
        {
            Console.WriteLine($"Run {run} of {options.Runs} ...");
            var m = new Metrics();
            var baseline = await client.RunOpenAsync(rate, TimeSpan.FromSeconds(options.Seconds), options.MaxInFlight);
            Record(m, "without backup", baseline);

            var archive = Path.Combine(options.DataRoot, $"kestrel-bench-{Guid.NewGuid():N}.tar.gz");
            using var stop = new CancellationTokenSource();
            var load = client.RunOpenAsync(rate, TimeSpan.FromHours(1), options.MaxInFlight, stop.Token);
            var walPeak = 0L;
            var backup = Backup(serverDirectory, data, archive);
            while (!backup.IsCompleted)
            {
                walPeak = Math.Max(walPeak, FileBytes(database + "-wal"));
                await Task.WhenAny(backup, Task.Delay(100));
            }
            await stop.CancelAsync();
            var during = await load;
            var summary = JsonDocument.Parse(await backup).RootElement;
            Record(m, "during backup", during);
            m["backup: seconds (kestrel backup's own figure)"] = summary.GetProperty("seconds").GetDouble();
            m["backup: database MB"] = DatabaseBytes(database) / 1048576.0;
            m["backup: archive MB"] = summary.GetProperty("bytes").GetInt64() / 1048576.0;
            m["backup: events in archive"] = summary.GetProperty("events").GetInt64();
            m["backup: maps in archive"] = summary.GetProperty("maps").GetInt64();
            m["backup: peak -wal during backup, MB"] = walPeak / 1048576.0;
            File.Delete(archive);
            runs.Add(m);
            Report.Print([m], run);
        }
        if (runs.Count > 1) Report.Print(runs);
        if (options.Output is not null) Report.Write(options.Output, options, runs);
        return 0;
    }

    private static void Record(Metrics m, string name, LoadResult result)
    {
        m[$"{name}: seconds"] = result.WallSeconds;
        m[$"{name}: requests/s (200)"] = result.OkPerSecond;
        m[$"{name}: p50 ms"] = result.Percentile(50);
        m[$"{name}: p99 ms"] = result.Percentile(99);
        m[$"{name}: max ms"] = result.Percentile(100);
        m[$"{name}: non-200 answers"] = result.NotOk + result.Failed;
        m[$"{name}: sends skipped"] = result.Skipped;
    }

    /// <summary>Runs the published binary's <c>backup --json</c> against the server's data directory, as cron would.</summary>
    private static Task<string> Backup(string serverDirectory, string data, string archive) =>
        ChildServer.RunToEndAsync(Path.Combine(serverDirectory, "kestrel"), ["backup", archive, "--json"],
            new Dictionary<string, string> { ["KESTREL_DATA"] = data });

    private static long DatabaseBytes(string database) => FileBytes(database) + FileBytes(database + "-wal");

    private static long FileBytes(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>
    /// Maps of about 1 MB each, shaped like bundler output: a long VLQ <c>mappings</c> string and the original
    /// sources inline. Random enough that gzip shrinks them about as much as real maps (3-5 times), not to nothing.
    /// </summary>
    private static long WriteMaps(string folder, int megabytes)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(7);
        const string Vlq = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        string[] words = ["const", "return", "function", "await", "if", "else", "user", "order", "price", "items", "=>", "{", "}", "(", ")", ";", "this", "props", "state", "render"];
        long total = 0;
        for (var file = 0; total < (long)megabytes << 20; file++)
        {
            var mappings = new StringBuilder(600_000);
            while (mappings.Length < 600_000)
            {
                for (var segment = random.Next(1, 12); segment > 0; segment--)
                {
                    for (var c = random.Next(4, 9); c > 0; c--) mappings.Append(Vlq[random.Next(Vlq.Length)]);
                    mappings.Append(',');
                }
                mappings.Append(';');
            }
            var source = new StringBuilder(400_000);
            while (source.Length < 400_000) source.Append(words[random.Next(words.Length)]).Append(random.Next(3) == 0 ? '\n' : ' ');
            var map = JsonSerializer.Serialize(new
            {
                version = 3,
                file = $"chunk-{file}.js",
                sources = new[] { $"src/module-{file}.ts" },
                sourcesContent = new[] { source.ToString() },
                names = words,
                mappings = mappings.ToString(),
            });
            var path = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"chunk-{file}.js.map"));
            File.WriteAllText(path, map);
            total += new FileInfo(path).Length;
        }
        return total;
    }
}
