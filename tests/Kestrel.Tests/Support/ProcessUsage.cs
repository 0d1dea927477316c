using System.Globalization;

namespace Kestrel.Tests.Support;

/// <summary>
/// CPU time and memory of a process as Linux accounts them in /proc: what an attack cost the server,
/// measured on the real process rather than timed in the test.
/// </summary>
public readonly record struct ProcessUsage(TimeSpan Cpu, long RssBytes)
{
    public static ProcessUsage Of(int processId)
    {
        // /proc/<pid>/stat: "pid (comm) state ..." — comm may hold spaces, so fields are counted after ')'.
        var stat = File.ReadAllText($"/proc/{processId}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // utime + stime
        var rssKb = File.ReadLines($"/proc/{processId}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return new ProcessUsage(TimeSpan.FromSeconds(ticks / (double)TicksPerSecond), long.Parse(rssKb, CultureInfo.InvariantCulture) * 1024);
    }

    /// <summary>USER_HZ; 100 on every Linux this runs on (getconf CLK_TCK).</summary>
    private const int TicksPerSecond = 100;

    public override string ToString() => $"{Cpu.TotalSeconds:F2} s CPU, {RssBytes / (1024 * 1024)} MiB RSS";
}
