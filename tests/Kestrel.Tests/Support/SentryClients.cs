using System.Diagnostics;

namespace Kestrel.Tests.Support;

/// <summary>Runs the real SDK client programs of tests/clients as child processes.</summary>
public static class SentryClients
{
    public sealed record Run(int ExitCode, string Stdout, string Stderr);

    /// <summary>tests/clients/sentry-node/report.mjs under node, with @sentry/node from its lockfile.</summary>
    public static Task<Run> NodeAsync(string dsn, string scenario)
    {
        var directory = Path.Combine(RepositoryRoot, "tests", "clients", "sentry-node");
        Assert.True(Directory.Exists(Path.Combine(directory, "node_modules", "@sentry", "node")),
            "@sentry/node is not installed; run scripts/install-test-deps.sh (scripts/test.sh does).");
        return RunAsync("node", directory, Path.Combine(directory, "report.mjs"), dsn, scenario);
    }

    /// <summary>tests/clients/sentry-dotnet (the NuGet Sentry SDK), built next to the tests.</summary>
    public static Task<Run> DotnetAsync(string dsn, string scenario) =>
        RunAsync("dotnet", AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "sentry-dotnet-client.dll"), dsn, scenario);

    private static async Task<Run> RunAsync(string program, string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in 60 s:\n{await stderr}");
        }
        return new Run(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The checkout the tests were built from: the directory holding Kestrel.slnx.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
                if (File.Exists(Path.Combine(directory.FullName, "Kestrel.slnx"))) return directory.FullName;
            throw new DirectoryNotFoundException("Kestrel.slnx was not found above " + AppContext.BaseDirectory);
        }
    }
}
