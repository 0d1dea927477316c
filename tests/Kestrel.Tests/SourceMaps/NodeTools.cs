using System.Diagnostics;
using System.Text;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.SourceMaps;

/// <summary>
/// The real JavaScript tools of the source-map tests, installed by scripts/install-test-deps.sh into
/// tests/clients/sourcemaps/node_modules: esbuild, node with @sentry/node, and sentry-cli 3.x and 2.x.
/// </summary>
public static class NodeTools
{
    public static string RepositoryRoot => SentryClients.RepositoryRoot;
    public static string ClientsDirectory => Path.Combine(RepositoryRoot, "tests", "clients", "sourcemaps");
    public static string NodeModules => Path.Combine(ClientsDirectory, "node_modules");
    public static string AppDirectory => Path.Combine(RepositoryRoot, "tests", "Kestrel.Tests", "SourceMaps", "App");

    public static string Esbuild => Require(Path.Combine(NodeModules, "esbuild", "bin", "esbuild"));
    public static string SentryCli3 => Require(Path.Combine(NodeModules, "@sentry", "cli-linux-x64", "bin", "sentry-cli"));
    public static string SentryCli2 => Require(Path.Combine(NodeModules, "sentry-cli-2", "node_modules", "@sentry", "cli-linux-x64", "bin", "sentry-cli"));

    private static string Require(string path) => File.Exists(path)
        ? path
        : throw new FileNotFoundException($"{path} is missing: run scripts/install-test-deps.sh (it runs npm ci in tests/clients/sourcemaps).");

    /// <summary>Copies the test app's sources into <paramref name="directory"/>/src (so maps name src/…) and bundles them.</summary>
    /// <param name="banner">code put before the bundle on its first line: a different banner moves every minified position</param>
    /// <returns>the path of the minified bundle; its map is beside it as .map</returns>
    public static async Task<string> BuildAppAsync(string directory, string entry = "main.js", string banner = "", string outName = "app.min.js", params string[] extraArgs)
    {
        var src = Path.Combine(directory, "src");
        Directory.CreateDirectory(src);
        foreach (var file in Directory.GetFiles(Path.Combine(AppDirectory, "src"))) File.Copy(file, Path.Combine(src, Path.GetFileName(file)), overwrite: true);
        var outFile = Path.Combine(directory, "dist", outName);
        string[] args = [Path.Combine(src, entry), "--bundle", "--minify", "--sourcemap", "--platform=node", "--format=cjs",
            "--external:@sentry/node", $"--outfile={outFile}", .. extraArgs];
        if (banner.Length > 0) args = [.. args, $"--banner:js={banner}"];
        var result = await RunAsync(Esbuild, directory, null, args);
        Assert.True(result.ExitCode == 0, "esbuild failed: " + result.Stderr);
        return outFile;
    }

    /// <summary>Runs the bundle with App/report.js and returns the event it prints (frames as V8 saw them, URLs on a CDN).</summary>
    public static async Task<string> ReportEventAsync(string bundle, string release)
    {
        var result = await RunAsync("node", Path.GetDirectoryName(bundle)!, null, Path.Combine(AppDirectory, "report.js"), bundle, release);
        Assert.True(result.ExitCode == 0 && result.Stdout.Length > 0, "report.js failed: " + result.Stderr);
        return result.Stdout.Trim();
    }

    /// <summary>Runs a bundle built from sentry-main.js: the real @sentry/node reports its error to the project's DSN.</summary>
    public static async Task ReportWithSentryNodeAsync(string bundle, TestProject project, string? release)
    {
        var dsn = $"http://{project.PublicKey}@{project.Server.Address.Authority}/{project.Id}";
        var environment = new Dictionary<string, string> { ["KESTREL_DSN"] = dsn, ["APP_RELEASE"] = release ?? "" };
        var result = await RunAsync("node", Path.GetDirectoryName(bundle)!, environment, bundle);
        Assert.True(result.ExitCode == 0, $"@sentry/node did not deliver ({result.ExitCode}):\n{result.Stdout}\n{result.Stderr}");
    }

    public sealed record ToolResult(int ExitCode, string Stdout, string Stderr);

    public static async Task<ToolResult> RunAsync(string program, string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // sentry-cli must not read a developer's ~/.sentryclirc or SENTRY_* variables, nor phone home.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("SENTRY_", StringComparison.Ordinal)).ToList()) info.Environment.Remove(key);
        // Nor Kestrel settings of the developer's shell, or the test run's own KESTREL_TEST_ENGINE (kestrel would warn about it).
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("KESTREL_", StringComparison.Ordinal)).ToList()) info.Environment.Remove(key);
        info.Environment["SENTRY_DISABLE_UPDATE_CHECK"] = "true";
        info.Environment["SENTRYCLI_SKIP_DOWNLOAD"] = "1";
        info.Environment["NODE_PATH"] = NodeModules;
        info.Environment["HOME"] = workingDirectory;
        if (environment is not null) foreach (var (key, value) in environment) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { process.Kill(entireProcessTree: true); throw new TimeoutException($"{program} did not finish in 120 s:\n{await stderr}"); }
        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }
}
