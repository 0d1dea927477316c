// Kestrel.AllocReport: where a running server's managed allocation goes, by type and by the code that allocated it.
// It reads a trace of the runtime's allocation ticks (one event per ~100 KB allocated, naming the type and the stack),
// recorded from a server under load with
//   dotnet-trace collect -p <server pid> --profile gc-verbose --duration 00:00:00:08 -o alloc.nettrace
// and prints each type's and each stack's share of the bytes sampled. See bench/README.md.
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
{
    Console.Error.WriteLine("usage: Kestrel.AllocReport TRACE.nettrace [--depth N (frames per stack, 6)] [--top N (rows, 30)]");
    return 2;
}
var depth = Option("--depth", 6);
var top = Option("--top", 30);

// TraceLog resolves the stacks' managed frames from the method events the trace ends with (its rundown).
using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(args[0]));
var byType = new Dictionary<string, long>();
var byStack = new Dictionary<string, long>();
long total = 0;
foreach (var e in log.Events)
{
    if (e is not GCAllocationTickTraceData tick) continue;
    var bytes = tick.AllocationAmount64;
    total += bytes;
    byType[tick.TypeName] = byType.GetValueOrDefault(tick.TypeName) + bytes;
    var frames = new List<string>(depth);
    for (var frame = e.CallStack(); frame is not null && frames.Count < depth; frame = frame.Caller)
        frames.Add(frame.CodeAddress.FullMethodName is { Length: > 0 } name ? name : "?");
    var stack = tick.TypeName + " <= " + string.Join(" <= ", frames);
    byStack[stack] = byStack.GetValueOrDefault(stack) + bytes;
}
if (total == 0)
{
    Console.Error.WriteLine("The trace holds no allocation ticks: record it with --profile gc-verbose.");
    return 1;
}

Console.WriteLine($"{total / 1e6:F1} MB sampled");
Print("by type", byType);
Print("by type and stack (innermost first)", byStack);
return 0;

void Print(string title, Dictionary<string, long> shares)
{
    Console.WriteLine($"\n{title}:");
    foreach (var (what, bytes) in shares.OrderByDescending(s => s.Value).Take(top))
        Console.WriteLine($"{100.0 * bytes / total,5:F1} %  {what}");
}

int Option(string name, int fallback) =>
    Array.IndexOf(args, name) is var at and >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
