using System.Diagnostics;
using System.Text.Json;
using Kestrel.Ingest;
using Kestrel.Platform;
using Kestrel.Projects;
using Kestrel.SourceMaps;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kestrel.SourceMapBench;

/// <summary>
/// The ingest step as the server runs it (<see cref="SourceMapResolver.ResolveAtIngest"/>), with the real
/// store and cache over a temporary data directory: an event whose 30 frames all point into the bundle,
/// resolved again and again once the map is parsed and cached. Each call parses the event's JSON, resolves
/// every frame with five context lines each side, writes the JSON back and re-reads its exceptions.
/// </summary>
public static class StackResolution
{
    public sealed record Result(double MedianMs, double P90Ms, double MapMegabytes, int Segments, long AllocatedPerCall);

    public static async Task<Result> MeasureAsync(byte[] mapBytes, Positions positions, int frames, int iterations)
    {
        var directory = Directory.CreateTempSubdirectory("kestrel-sourcemap-bench-");
        try
        {
            var options = new KestrelOptions { DataDirectory = directory.FullName };
            var database = Database.OpenAndMigrate(options);
            var writer = new DatabaseWriter(database, options, NullLogger<DatabaseWriter>.Instance);
            await writer.StartAsync(CancellationToken.None);
            var project = new ProjectStore(database).Create("bench", 0).Project;
            var store = new SourceMapStore(database, writer, options, NullLogger<SourceMapStore>.Instance);
            await store.SaveAsync(project.Id, project.Slug, "bench@1", "",
                [new NewSourceFile("~/static/typescript.min.js.map", "static/typescript.min.js.map", SourceFile.SourceMapKind, mapBytes, null, null)], 0, CancellationToken.None);
            var cache = new SourceMapCache(1024L * 1024 * 1024);
            var resolver = new SourceMapResolver(store, cache, TimeProvider.System, NullLogger<SourceMapResolver>.Instance);

            var map = SourceMapParser.Parse(mapBytes);
            var normalised = EventNormaliser.Normalise(JsonDocument.Parse(Event(positions, frames, map)).RootElement, DateTimeOffset.UtcNow);
            var first = resolver.ResolveAtIngest(project.Id, normalised);
            var resolved = first.Exceptions[0].Frames.Count(f => f.File is { } name && !name.Contains("typescript.min.js", StringComparison.Ordinal));
            if (resolved != frames) throw new InvalidOperationException($"Only {resolved} of {frames} frames resolved.");

            // Warm means a server that has run a while: the map and its lines are cached, and the JIT has
            // compiled the hot paths fully. Tiered compilation recompiles in the background, which on a
            // busy 2-core machine took seconds of calls; five seconds of warm-up measured stable.
            var warmUp = Stopwatch.StartNew();
            while (warmUp.Elapsed < TimeSpan.FromSeconds(5)) resolver.ResolveAtIngest(project.Id, normalised);
            // The decoder runs before this left hundreds of MB of parsed maps to collect; start from a clean heap.
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var times = new double[iterations];
            for (var i = 0; i < iterations; i++)
            {
                var start = Stopwatch.GetTimestamp();
                resolver.ResolveAtIngest(project.Id, normalised);
                times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            var allocatedPerCall = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / iterations;
            Array.Sort(times);
            await writer.StopAsync(CancellationToken.None);
            return new Result(times[iterations / 2], times[iterations * 9 / 10], map.MemoryBytes / 1024.0 / 1024, map.SegmentCount, allocatedPerCall);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    /// <summary>A browser-style event: frames at mapped positions of the bundle, served from a CDN.</summary>
    private static string Event(Positions positions, int frames, SourceMap sourceMap)
    {
        var map = new List<object>();
        for (var i = 0; map.Count < frames && i < positions.Count; i += 997)
        {
            var (line, column) = positions[i];
            if (!sourceMap.TryFind(line, column, out _)) continue;
            map.Add(new { function = "x" + i, abs_path = "https://cdn.example.com/static/typescript.min.js?v=7", lineno = line + 1, colno = column + 1, in_app = true });
        }
        return JsonSerializer.Serialize(new
        {
            platform = "javascript",
            release = "bench@1",
            exception = new { values = new[] { new { type = "TypeError", value = "x is undefined", stacktrace = new { frames = map } } } },
        });
    }
}
