using System.Diagnostics;

namespace Kestrel.Tests.Support;

/// <summary>
/// A fresh clone of this repository (its working tree, committed into a new git repository under /tmp) in which
/// the README's first two commands were run once per test run, as a new user runs them: <c>dotnet run --project
/// src/Kestrel -- project create</c> from the root, then <c>dotnet publish src/Kestrel -c Release -o DIR</c>.
/// Tests share it through <see cref="Get"/>: publishing takes a minute.
/// </summary>
public sealed class FreshClone
{
    private static readonly Lazy<Task<FreshClone>> Shared = new(() => CreateAsync());

    private FreshClone(string root) => Root = root;

    /// <summary>The clone's root; deleted when the test process exits.</summary>
    public string Root { get; }
    public string PublishDirectory => Path.Combine(Root, "published");
    /// <summary>The published binary, <c>DIR/kestrel</c>.</summary>
    public string Binary => Path.Combine(PublishDirectory, "kestrel");
    /// <summary>What <c>dotnet run --project src/Kestrel -- project create "My App"</c> printed.</summary>
    public Tool.Result ProjectCreate { get; private set; } = null!;
    /// <summary><c>git status --porcelain --ignored=no</c> right after that run.</summary>
    public string GitStatusAfterRun { get; private set; } = "";

    public static Task<FreshClone> Get() => Shared.Value;

    private static async Task<FreshClone> CreateAsync()
    {
        var root = Directory.CreateTempSubdirectory("kestrel-clone-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(root, recursive: true); } catch (IOException) { } };
        var clone = new FreshClone(root);
        var source = SentryClients.RepositoryRoot;
        // Tracked files plus new ones not yet committed (git's own view of "the working tree", without ignored files).
        var files = (await Tool.RunOkAsync("git", "-C", source, "ls-files", "--cached", "--others", "--exclude-standard", "-z")).Stdout
            .Split('\0', StringSplitOptions.RemoveEmptyEntries);
        foreach (var file in files.Where(f => File.Exists(Path.Combine(source, f))))
        {
            var target = Path.Combine(root, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(source, file), target);
        }
        await Tool.RunOkAsync("git", "-C", root, "init", "-q");
        await Tool.RunOkAsync("git", "-C", root, "add", "-A");
        await Tool.RunOkAsync("git", "-C", root, "-c", "user.name=test", "-c", "user.email=test@localhost", "commit", "-q", "-m", "clone");

        clone.ProjectCreate = await clone.RunAsync("dotnet", "run", "--project", "src/Kestrel", "--", "project", "create", "My App");
        clone.GitStatusAfterRun = (await Tool.RunOkAsync("git", "-C", root, "status", "--porcelain")).Stdout;
        var publish = await clone.RunAsync("dotnet", "publish", "src/Kestrel", "-c", "Release", "-o", clone.PublishDirectory);
        Assert.True(publish.ExitCode == 0, "dotnet publish failed:\n" + publish.Stdout + publish.Stderr);
        return clone;
    }

    /// <summary>Runs a program in the clone's root with no KESTREL_* variables from the test's environment.</summary>
    public async Task<Tool.Result> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("KESTREL_", StringComparison.Ordinal)).ToList()) info.Environment.Remove(key);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await process.WaitForExitAsync(timeout.Token);
        return new Tool.Result(process.ExitCode, await stdout, await stderr);
    }
}
