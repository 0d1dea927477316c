using System.Diagnostics;
using System.Text.Json;

namespace Kestrel.SourceMapBench;

/// <summary>
/// bench/sourcemaps with its npm packages (installed by <c>npm ci</c> from the committed lockfile when missing),
/// and the large real map: esbuild bundles and minifies the typescript package into bench/sourcemaps/out.
/// </summary>
public sealed record Workspace(string Directory, string OutputDirectory, string ScriptPath, string MapPath, string TypeScriptVersion, string NodeVersion)
{
    public static Workspace Prepare()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Kestrel.slnx"))) root = root.Parent;
        var directory = Path.Combine(root?.FullName ?? throw new InvalidOperationException("Kestrel.slnx not found above the bench"), "bench", "sourcemaps");
        var stamp = Path.Combine(directory, "node_modules", ".kestrel-lock-copy");
        var lockfile = Path.Combine(directory, "package-lock.json");
        if (!File.Exists(stamp) || File.ReadAllText(stamp) != File.ReadAllText(lockfile))
        {
            Run("npm", directory, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error");
            File.Copy(lockfile, stamp, overwrite: true);
        }
        var output = Path.Combine(directory, "out");
        System.IO.Directory.CreateDirectory(output);
        var script = Path.Combine(output, "typescript.min.js");
        if (!File.Exists(script + ".map"))
            Run(Path.Combine(directory, "node_modules", ".bin", "esbuild"), directory,
                "node_modules/typescript/lib/typescript.js", "--bundle", "--minify", "--sourcemap", "--platform=node", "--format=cjs", "--log-level=warning", $"--outfile={script}");
        var version = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "node_modules", "typescript", "package.json"))).RootElement.GetProperty("version").GetString()!;
        return new Workspace(directory, output, script, script + ".map", version, Run("node", directory, "--version").Trim());
    }

    public static string Run(string program, string directory, params string[] args)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {process.ExitCode}");
        return output;
    }
}
