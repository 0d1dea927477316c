using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Kestrel.Tests.Support;

/// <summary>Runs the real kestrel binary (the build of src/Kestrel) as a child process.</summary>
public static class KestrelProcess
{
    public static string Dll
    {
        get
        {
            var path = System.IO.Path.Combine(AppContext.BaseDirectory, "kestrel.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("kestrel.dll was not copied next to the tests", path);
        }
    }

    public static ProcessStartInfo StartInfo(string dataDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        StartInfo(null, dataDirectory, environment, args);

    /// <param name="binary">a published kestrel to run instead of the build's kestrel.dll; it gets a PATH without dotnet</param>
    public static ProcessStartInfo StartInfo(string? binary, string dataDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(binary ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (binary is null) info.ArgumentList.Add(Dll);
        else
        {
            info.Environment["PATH"] = "/nonexistent";
            info.Environment.Remove("DOTNET_ROOT");
        }
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // Start from a clean slate: nothing from the developer's shell leaks into a test.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("KESTREL_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(key);
        info.Environment["KESTREL_DATA"] = dataDirectory;
        info.Environment["KESTREL_LISTEN"] = "127.0.0.1:0";
        info.Environment["DOTNET_gcServer"] = "0";
        if (environment is not null)
            foreach (var (key, value) in environment) info.Environment[key] = value;
        // A PostgreSQL test run: the data directory's own database, unless the test chose one (Engines.EnvironmentAsync).
        if (!info.Environment.ContainsKey("KESTREL_DATABASE_URL") && Engines.DatabaseUrlFor(dataDirectory) is { } url)
            info.Environment["KESTREL_DATABASE_URL"] = url;
        return info;
    }

    public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
    {
        public JsonElement Json => JsonDocument.Parse(Stdout).RootElement;
    }

    /// <summary>Runs one CLI command to completion.</summary>
    public static async Task<CliResult> RunAsync(string dataDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var process = Process.Start(StartInfo(dataDirectory, environment, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
