using System.Diagnostics;

namespace Kestrel.Bench;

/// <summary>
/// What a server spent over one measured window: CPU per thread class and time waiting for a core (from /proc),
/// managed bytes allocated and GC pause time (from the server's /metrics), and its peak memory. Started before
/// the load, stopped after it; <see cref="Report"/> divides by the events (or requests) the window handled.
/// </summary>
public sealed class ServerWindow
{
    private readonly ChildServer server;
    private readonly Dictionary<int, (string Name, double Seconds)> threadsBefore;
    private readonly Dictionary<int, (string Name, double Seconds)> waitBefore;
    private readonly RuntimeCounters countersBefore;
    private readonly long startedAt = Stopwatch.GetTimestamp();
    private readonly bool sampleMemory;
    private Dictionary<string, double> cpuByClass = [];
    private Dictionary<string, double> waitByClass = [];
    private RuntimeCounters countersAfter;

    private ServerWindow(ChildServer server, RuntimeCounters counters, bool sampleMemory)
    {
        this.server = server;
        this.sampleMemory = sampleMemory;
        countersBefore = counters;
        threadsBefore = server.Monitor.ThreadCpu();
        waitBefore = server.Monitor.ThreadRunQueueWait();
        if (sampleMemory) server.Monitor.StartSampling();
    }

    /// <summary>Wall seconds from start to stop.</summary>
    public double WallSeconds { get; private set; }

    /// <param name="sampleMemory">false for a window inside another (<see cref="WindowSplit"/>): the outer one samples the memory</param>
    public static async Task<ServerWindow> StartAsync(ChildServer server, bool sampleMemory = true) =>
        new(server, await server.ReadRuntimeCountersAsync(), sampleMemory);

    public async Task StopAsync()
    {
        WallSeconds = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
        if (sampleMemory) await server.Monitor.StopSamplingAsync();
        cpuByClass = ProcessMonitor.SecondsByClass(threadsBefore, server.Monitor.ThreadCpu());
        waitByClass = ProcessMonitor.SecondsByClass(waitBefore, server.Monitor.ThreadRunQueueWait());
        countersAfter = await server.ReadRuntimeCountersAsync();
    }

    /// <summary>Adds the window's figures to <paramref name="m"/>: cores and µs per <paramref name="unit"/> for each thread class, KB allocated per unit, GC pause share.</summary>
    /// <param name="units">events (or requests) handled in the window; per-unit figures are left out when 0</param>
    /// <param name="loadSeconds">how long the load itself ran, when the window holds more (wrk's start-up): the divisor of cores and pause share</param>
    public void Report(Metrics m, string name, double units, string unit, double? loadSeconds = null)
    {
        var wall = loadSeconds ?? WallSeconds;
        var total = cpuByClass.Values.Sum();
        if (sampleMemory) m[$"{name}: RSS peak under load, MB"] = server.Monitor.PeakRssKb / 1024.0;
        m[$"{name}: server CPU, cores"] = total / wall;
        foreach (var (threadClass, seconds) in cpuByClass)
            m[$"{name}: CPU of {threadClass}, cores"] = seconds / wall;
        // CPU per event holds still when other programs take the cores: compare phases by it on a busy machine.
        m[$"{name}: server CPU µs per {unit}"] = PerUnit(total * 1e6, units);
        foreach (var (threadClass, seconds) in cpuByClass)
            m[$"{name}: CPU µs per {unit}, {threadClass}"] = PerUnit(seconds * 1e6, units);
        // How much of the server's demand the shared cores did not serve, and whether the writer was among it.
        m[$"{name}: threads waiting for a core (run queue), average"] = waitByClass.Values.Sum() / wall;
        m[$"{name}: writer thread waiting for a core, % of wall time"] = 100 * waitByClass["writer thread"] / wall;
        m[$"{name}: managed KB allocated per {unit}"] = PerUnit((countersAfter.AllocatedBytes - countersBefore.AllocatedBytes) / 1024, units);
        m[$"{name}: GC pause, % of wall time"] = 100 * (countersAfter.PauseSeconds - countersBefore.PauseSeconds) / wall;
        // Inside write transactions, fsync included: near 100 % the writer bounds throughput whatever its CPU.
        m[$"{name}: writer busy, % of wall time"] = 100 * (countersAfter.WriterBusySeconds - countersBefore.WriterBusySeconds) / wall;
    }

    private static double PerUnit(double amount, double units) => units == 0 ? double.NaN : amount / units;
}

/// <summary>The runtime counters a server's /metrics reports; NaN for a build that does not report them.</summary>
public readonly record struct RuntimeCounters(double AllocatedBytes, double PauseSeconds, double WriterBusySeconds)
{
    public static readonly RuntimeCounters Unknown = new(double.NaN, double.NaN, double.NaN);
}
