using System.Diagnostics;

namespace Kestrel.Tests.Support;

/// <summary>
/// A fresh clone of this repository (its working tree, committed into a new git repository under /tmp) in which
/// the README's first two commands were run once per test run, as a new user runs them: <c>dotnet run --project
/// src/Kestrel -- project create</c> from the root, then <c>dotnet publish src/Kestrel -c Release -o DIR</c>.
/// A class fixture: made once for the class that uses it (publishing takes minutes), deleted after its last test.
/// </summary>
public sealed class FreshClone : IAsyncLifetime
{
    /// <summary>The clone's root.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("kestrel-clone-").FullName;
    public string PublishDirectory => Path.Combine(Root, "published");
    /// <summary>The published binary, <c>DIR/kestrel</c>.</summary>
    public string Binary => Path.Combine(PublishDirectory, "kestrel");
    /// <summary>What <c>dotnet run --project src/Kestrel -- project create "My App"</c> printed.</summary>
    public Tool.Result ProjectCreate { get; private set; } = null!;
    /// <summary><c>git status --porcelain --ignored=no</c> right after that run.</summary>
    public string GitStatusAfterRun { get; private set; } = "";

    public Task DisposeAsync()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return Task.CompletedTask;
    }

    public async Task InitializeAsync()
    {
        var root = Root;
        var source = SentryClients.RepositoryRoot;
        // Tracked files plus new ones not yet committed (git's own view of "the working tree", without ignored files).
        var files = (await Tool.RunOkAsync("git", "-C", source, "ls-files", "--cached", "--others", "--exclude-standard", "-z")).Stdout
            .Split('\0', StringSplitOptions.RemoveEmptyEntries).Distinct(); // a file mid-merge is listed once per stage
        foreach (var file in files.Where(f => File.Exists(Path.Combine(source, f))))
        {
            var target = Path.Combine(root, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(source, file), target);
        }
        await Tool.RunOkAsync("git", "-C", root, "init", "-q");
        await Tool.RunOkAsync("git", "-C", root, "add", "-A");
        await Tool.RunOkAsync("git", "-C", root, "-c", "user.name=test", "-c", "user.email=test@localhost", "commit", "-q", "-m", "clone");

        ProjectCreate = await RunAsync("dotnet", "run", "--project", "src/Kestrel", "--", "project", "create", "My App");
        GitStatusAfterRun = (await Tool.RunOkAsync("git", "-C", root, "status", "--porcelain")).Stdout;
        var publish = await RunAsync("dotnet", "publish", "src/Kestrel", "-c", "Release", "-o", PublishDirectory);
        Assert.True(publish.ExitCode == 0, "dotnet publish failed:\n" + publish.Stdout + publish.Stderr);
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
