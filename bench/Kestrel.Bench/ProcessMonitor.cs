using System.Globalization;

namespace Kestrel.Bench;

/// <summary>
/// Reads a child process's memory and CPU from /proc (Linux only). Memory: VmRSS sampled every 100 ms
/// while load runs, and VmHWM, the kernel's own peak. CPU: per-thread ticks, so the single database
/// writer thread can be told apart from the request threads.
/// </summary>
public sealed class ProcessMonitor(int pid)
{
    private const double TicksPerSecond = 100; // USER_HZ, 100 on every Linux this runs on
    private CancellationTokenSource? sampling;
    private Task? sampler;

    public long PeakRssKb { get; private set; }

    public long RssKb => ReadStatusKb("VmRSS");
    public long HighWaterMarkKb => ReadStatusKb("VmHWM");

    public void StartSampling()
    {
        PeakRssKb = RssKb;
        sampling = new CancellationTokenSource();
        var token = sampling.Token;
        sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
                PeakRssKb = Math.Max(PeakRssKb, RssKb);
        }, token);
    }

    public async Task StopSamplingAsync()
    {
        sampling?.Cancel();
        try { if (sampler is not null) await sampler; } catch (OperationCanceledException) { }
        PeakRssKb = Math.Max(PeakRssKb, RssKb);
    }

    private long ReadStatusKb(string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                    return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException) { } // the process has exited
        return 0;
    }

    /// <summary>CPU seconds used so far by each thread, keyed by thread id, with the thread's name.</summary>
    public Dictionary<int, (string Name, double Seconds)> ThreadCpu()
    {
        var threads = new Dictionary<int, (string, double)>();
        foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // The name is in parentheses and may hold spaces; the fields after it are space-separated.
                var open = stat.IndexOf('(');
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                threads[int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture)] = (stat[(open + 1)..close], ticks / TicksPerSecond);
            }
            catch (IOException) { } // the thread ended between listing and reading
        }
        return threads;
    }

    /// <summary>
    /// Seconds each thread has so far spent runnable but waiting for a core (the scheduler's run queue, the second
    /// field of /proc/…/schedstat), keyed by thread id, with the thread's name. On a shared machine this is the
    /// demand the cores did not serve: a writer that waits here is starved, not idle.
    /// </summary>
    public Dictionary<int, (string Name, double Seconds)> ThreadRunQueueWait()
    {
        var threads = new Dictionary<int, (string, double)>();
        foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var waitNs = long.Parse(File.ReadAllText(Path.Combine(dir, "schedstat")).Split(' ')[1], CultureInfo.InvariantCulture);
                threads[int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture)] = (File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n'), waitNs / 1e9);
            }
            catch (IOException) { } // the thread ended between listing and reading
        }
        return threads;
    }

    /// <summary>The thread classes CPU is reported by, in the order they are printed.</summary>
    public static readonly string[] ThreadClasses = ["request threads", "writer thread", "JIT", "GC", "other"];

    /// <summary>
    /// The class of a thread by its name as Linux keeps it (the first 15 bytes). Request threads are the thread
    /// pool's workers and the socket and pool-gate threads that serve them; JIT is tiered compilation's background
    /// worker; GC is the background and server GC threads. Workstation GC runs its blocking collections on the
    /// thread that allocates, so most GC time shows under request threads: the GC pause figure is the measure of it.
    /// </summary>
    public static string ThreadClass(string name) => name switch
    {
        "kestrel-writer" => "writer thread",
        _ when name.StartsWith(".NET TP", StringComparison.Ordinal) || name.StartsWith(".NET Sockets", StringComparison.Ordinal)
            || name.StartsWith(".NET ThreadPool", StringComparison.Ordinal) => "request threads",
        _ when name.StartsWith(".NET Tiered Com", StringComparison.Ordinal) => "JIT",
        _ when name.StartsWith(".NET BGC", StringComparison.Ordinal) || name.StartsWith(".NET Server GC", StringComparison.Ordinal)
            || name.StartsWith(".NET GC", StringComparison.Ordinal) => "GC",
        _ => "other",
    };

    /// <summary>Seconds per thread class (<see cref="ThreadClasses"/>) between two per-thread snapshots (<see cref="ThreadCpu"/>, <see cref="ThreadRunQueueWait"/>).</summary>
    public static Dictionary<string, double> SecondsByClass(Dictionary<int, (string Name, double Seconds)> before, Dictionary<int, (string Name, double Seconds)> after)
    {
        var classes = ThreadClasses.ToDictionary(c => c, _ => 0.0);
        foreach (var (name, seconds) in CpuBetween(before, after)) classes[ThreadClass(name)] += seconds;
        return classes;
    }

    /// <summary>CPU seconds per thread name between two <see cref="ThreadCpu"/> snapshots, biggest first.</summary>
    public static List<(string Name, double Seconds)> CpuBetween(Dictionary<int, (string Name, double Seconds)> before, Dictionary<int, (string Name, double Seconds)> after) =>
        [.. after
            .Select(t => (t.Value.Name, Seconds: t.Value.Seconds - (before.TryGetValue(t.Key, out var b) ? b.Seconds : 0)))
            .GroupBy(t => t.Name)
            .Select(g => (g.Key, g.Sum(t => t.Seconds)))
            .OrderByDescending(g => g.Item2)];
}
