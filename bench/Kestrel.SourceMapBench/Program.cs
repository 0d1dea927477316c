// Kestrel.SourceMapBench: parse time and lookups per second of Kestrel's source-map decoder against
// @jridgewell/trace-mapping (run by node on the same map and positions, in the same run), and the time to
// resolve a 30-frame stack at ingest with a warm cache. See bench/README.md.
using System.Diagnostics;
using System.Text.Json;
using Kestrel.SourceMaps;
using Kestrel.SourceMapBench;

var rounds = Option("--rounds", 3);
var runs = Option("--runs", 5);
var lookups = Option("--lookups", 1_000_000);

var workspace = Workspace.Prepare();
Console.WriteLine($"Map: {workspace.MapPath} ({new FileInfo(workspace.MapPath).Length / 1024.0 / 1024:0.0} MB, esbuild --minify of typescript {workspace.TypeScriptVersion}); "
    + $"{lookups:N0} random positions in the {new FileInfo(workspace.ScriptPath).Length / 1024.0 / 1024:0.0} MB bundle; {rounds} rounds of {runs} runs; {Environment.ProcessorCount} cores");

var mapBytes = File.ReadAllBytes(workspace.MapPath);
var positions = Positions.Random(File.ReadAllText(workspace.ScriptPath), lookups, seed: 20261127);
var positionsPath = Path.Combine(workspace.OutputDirectory, "positions.bin");
File.WriteAllBytes(positionsPath, positions.ToBytes());

var ours = new Samples();
var theirs = new Samples();
(long Mapped, long LineSum)? ourAnswers = null, theirAnswers = null;
for (var round = 1; round <= rounds; round++)
{
    // Node and .NET take turns, so both see the same noise on a shared machine.
    var node = await TraceMappingBaseline.RunAsync(workspace, positionsPath, runs);
    theirs.ParseMs.AddRange(node.ParseMs);
    theirs.LookupsPerSecond.AddRange(node.LookupsPerSecond);
    theirAnswers = (node.Mapped, node.LineSum);

    for (var r = 0; r <= runs; r++)
    {
        var start = Stopwatch.GetTimestamp();
        SourceMapParser.Parse(mapBytes);
        if (r > 0 || round > 1) ours.ParseMs.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
    var map = SourceMapParser.Parse(mapBytes);
    ourAnswers = positions.LookUpAll(map);
    for (var r = 0; r < runs; r++)
    {
        var start = Stopwatch.GetTimestamp();
        positions.LookUpAll(map);
        ours.LookupsPerSecond.Add(positions.Count / Stopwatch.GetElapsedTime(start).TotalSeconds);
    }
    Console.WriteLine($"round {round}: parse {ours.ParseMs[^1]:0.0} ms vs {theirs.ParseMs[^1]:0.0} ms; lookups {ours.LookupsPerSecond[^1] / 1e6:0.00} M/s vs {theirs.LookupsPerSecond[^1] / 1e6:0.00} M/s");
}

if (ourAnswers != theirAnswers)
{
    Console.WriteLine($"ANSWERS DIFFER: Kestrel mapped {ourAnswers!.Value.Mapped} (line sum {ourAnswers.Value.LineSum}), trace-mapping {theirAnswers!.Value.Mapped} ({theirAnswers.Value.LineSum})");
    return 1;
}
var stack = await StackResolution.MeasureAsync(mapBytes, positions, frames: 30, iterations: 2000);

var parseRatio = ours.Median(ours.ParseMs) / theirs.Median(theirs.ParseMs);
var lookupRatio = ours.Median(ours.LookupsPerSecond) / theirs.Median(theirs.LookupsPerSecond);
Console.WriteLine();
Console.WriteLine($"Both decoders give the same answers: {ourAnswers!.Value.Mapped:N0} of {positions.Count:N0} positions mapped, same original lines.");
Console.WriteLine($"| measure (median) | Kestrel | trace-mapping 0.3.31 (node {workspace.NodeVersion}) | ratio | target |");
Console.WriteLine("|---|---|---|---|---|");
Console.WriteLine($"| parse + decode the map | {ours.Median(ours.ParseMs):0.0} ms | {theirs.Median(theirs.ParseMs):0.0} ms | {parseRatio:0.00}× the time | ≤ 1× {(parseRatio <= 1 ? "met" : "MISSED")} |");
Console.WriteLine($"| lookups | {ours.Median(ours.LookupsPerSecond) / 1e6:0.00} M/s | {theirs.Median(theirs.LookupsPerSecond) / 1e6:0.00} M/s | {lookupRatio:0.00}× as fast | ≥ 2× {(lookupRatio >= 2 ? "met" : "MISSED")} |");
Console.WriteLine($"| 30-frame stack at ingest, warm | {stack.MedianMs:0.000} ms (p90 {stack.P90Ms:0.000}) | | | < 0.2 ms {(stack.MedianMs < 0.2 ? "met" : "MISSED")} |");
Console.WriteLine($"Parsed map in memory: about {stack.MapMegabytes:0.0} MB ({stack.Segments:N0} segments). One resolution of the 30-frame event allocates {stack.AllocatedPerCall / 1024} KB.");
return 0;

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) && v > 0 ? v : fallback;
}

internal sealed class Samples
{
    public List<double> ParseMs { get; } = [];
    public List<double> LookupsPerSecond { get; } = [];
    public double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
