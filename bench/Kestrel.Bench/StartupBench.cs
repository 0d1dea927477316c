using System.Diagnostics;
using System.Globalization;

namespace Kestrel.Bench;

/// <summary>
/// <c>startup DIR_A DIR_B [--runs N]</c>: compares two published Kestrels (say, framework-dependent and single-file):
/// the files and bytes of each folder, the wall time of <c>kestrel version</c>, the time from exec until the server
/// logs "listening on", and its resident memory after 10 s idle. Runs alternate A, B, A, B; medians are printed.
/// </summary>
public static class StartupBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var directories = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, out _)).ToArray();
        var runs = args.SkipWhile(a => a != "--runs").Skip(1).Select(int.Parse).FirstOrDefault(5);
        if (directories.Length == 0) { Console.Error.WriteLine("usage: startup DIR [DIR ...] [--runs N]"); return 2; }

        var figures = directories.ToDictionary(d => d, _ => new List<(double Version, double Listen, double RssMb)>());
        for (var run = 1; run <= runs; run++)
            foreach (var directory in directories)
            {
                var figure = (await TimeVersionAsync(directory), 0.0, 0.0);
                (figure.Item2, figure.Item3) = await TimeServeAsync(directory);
                figures[directory].Add(figure);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"run {run} {directory}: version {figure.Item1:0} ms, listening after {figure.Item2:0} ms, idle RSS {figure.Item3:0.0} MB"));
            }

        Console.WriteLine();
        Console.WriteLine("| published folder | files | MB | `kestrel version` ms | start to listening ms | idle RSS MB |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (directory, list) in figures)
        {
            var files = Directory.GetFiles(directory, "*", SearchOption.AllDirectories);
            var megabytes = files.Sum(f => new FileInfo(f).Length) / 1e6;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {directory} | {files.Length} | {megabytes:0.0} | {Median(list.Select(f => f.Version)):0} | {Median(list.Select(f => f.Listen)):0} | {Median(list.Select(f => f.RssMb)):0.0} |"));
        }
        return 0;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static ProcessStartInfo Info(string directory, string data, params string[] args)
    {
        var info = new ProcessStartInfo(Path.Combine(directory, "kestrel")) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = data };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["KESTREL_DATA"] = data;
        info.Environment["KESTREL_LISTEN"] = "127.0.0.1:0";
        return info;
    }

    private static async Task<double> TimeVersionAsync(string directory)
    {
        var data = Directory.CreateTempSubdirectory("kestrel-startup-").FullName;
        try
        {
            var clock = Stopwatch.StartNew();
            using var process = Process.Start(Info(directory, data, "version"))!;
            await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return clock.Elapsed.TotalMilliseconds;
        }
        finally { Directory.Delete(data, recursive: true); }
    }

    private static async Task<(double ListenMs, double RssMb)> TimeServeAsync(string directory)
    {
        var data = Directory.CreateTempSubdirectory("kestrel-startup-").FullName;
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = Info(directory, data, "serve") };
        process.OutputDataReceived += (_, e) => { if (e.Data?.Contains("listening on", StringComparison.Ordinal) == true) listening.TrySetResult(); };
        process.ErrorDataReceived += (_, _) => { };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var listenMs = clock.Elapsed.TotalMilliseconds;
            await Task.Delay(TimeSpan.FromSeconds(10)); // the measured idle period, not a synchronisation
            var rss = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kilobytes = double.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            return (listenMs, kilobytes / 1024);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
            Directory.Delete(data, recursive: true);
        }
    }
}
