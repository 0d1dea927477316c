using System.Diagnostics;

namespace Kestrel.Tests.Support;

/// <summary>Runs a real command-line tool (tar, sqlite3) to completion, as a user would from a shell.</summary>
public static class Tool
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public static async Task<Result> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs the tool and requires exit 0.</summary>
    public static async Task<Result> RunOkAsync(string file, params string[] args)
    {
        var result = await RunAsync(file, args);
        Assert.True(result.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {result.ExitCode}: {result.Stderr}");
        return result;
    }

    /// <summary><c>SELECT COUNT(*) FROM events; SELECT COUNT(*) FROM issues;</c> with the sqlite3 tool.</summary>
    public static async Task<(long Events, long Issues)> CountWithSqlite3Async(string database)
    {
        var lines = (await RunOkAsync("sqlite3", database, "SELECT COUNT(*) FROM events; SELECT COUNT(*) FROM issues;")).Lines;
        return (long.Parse(lines[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
