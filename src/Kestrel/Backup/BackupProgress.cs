using System.Diagnostics;
using System.Globalization;

namespace Kestrel.Backup;

/// <summary>
/// What <c>kestrel backup</c>, <c>restore</c> and <c>verify</c> show while they work, since moving millions of events takes
/// minutes: one line on stderr, redrawn in place at most five times a second, naming the step, how much of it is done
/// (tables, files or bytes), the rate and the time left. Only on a terminal: under cron, CI or a pipe
/// (<see cref="ForTerminal"/> gives null) the commands print nothing but their one-line summary.
/// </summary>
public sealed class BackupProgress(TextWriter terminal)
{
    private const long RedrawEveryMs = 200;
    private readonly long started = Stopwatch.GetTimestamp();
    private string step = "";
    private long stepStarted = Stopwatch.GetTimestamp();
    private long drawnAt = -RedrawEveryMs;
    private bool drawn;

    /// <summary>Progress for this process's stderr when it is a terminal, else null (print nothing but the summary).</summary>
    public static BackupProgress? ForTerminal() =>
        Console.IsErrorRedirected || Environment.GetEnvironmentVariable("TERM") == "dumb" ? null : new BackupProgress(Console.Error);

    /// <summary>Counted steps: tables copied, files written.</summary>
    public void Count(string what, long done, long total, string unit) =>
        Show(what, done, total, (d, t) => $"{d.ToString("N0", CultureInfo.InvariantCulture)} of {t.ToString("N0", CultureInfo.InvariantCulture)} {unit}",
            rate => $"{rate:0.#} {unit}/s");

    /// <summary>Bytes read or written of a known total.</summary>
    public void Bytes(string what, long done, long total) =>
        Show(what, done, total, (d, t) => $"{Size(d)} of {Size(t)}", rate => $"{Size((long)rate)}/s");

    /// <summary>A step whose size is not known (SQLite's VACUUM INTO): its name and the time it has taken.</summary>
    public void Working(string what)
    {
        StartStep(what);
        Draw($"{what}…", force: true);
    }

    /// <summary>Clears the line, so the summary that follows stands alone.</summary>
    public void Done()
    {
        if (drawn) terminal.Write("\r\x1b[K");
        terminal.Flush();
        drawn = false;
    }

    private void Show(string what, long done, long total, Func<long, long, string> amount, Func<double, string> rate)
    {
        StartStep(what);
        var seconds = Stopwatch.GetElapsedTime(stepStarted).TotalSeconds;
        var line = $"{what}: {amount(done, Math.Max(done, total))}";
        if (seconds >= 0.5 && done > 0)
        {
            var perSecond = done / seconds;
            line += $", {rate(perSecond)}";
            if (total > done) line += $", about {Duration((total - done) / perSecond)} left";
        }
        Draw(line, force: done >= total);
    }

    private void StartStep(string what)
    {
        if (what == step) return;
        step = what;
        stepStarted = Stopwatch.GetTimestamp();
    }

    private void Draw(string line, bool force)
    {
        var now = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (!force && now - drawnAt < RedrawEveryMs) return;
        drawnAt = now;
        terminal.Write("\r\x1b[K" + line + $" ({Duration(now / 1000.0)} so far)");
        terminal.Flush();
        drawn = true;
    }

    private static string Duration(double seconds) => seconds switch
    {
        < 60 => FormattableString.Invariant($"{Math.Ceiling(seconds):0} s"),
        < 3600 => FormattableString.Invariant($"{(int)(seconds / 60)} min {(int)(seconds % 60)} s"),
        _ => FormattableString.Invariant($"{(int)(seconds / 3600)} h {(int)(seconds % 3600 / 60)} min"),
    };

    private static string Size(long bytes) => Cli.BackupCommand.Size(bytes);
}
