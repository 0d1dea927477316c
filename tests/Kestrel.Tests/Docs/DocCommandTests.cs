using System.Diagnostics;
using System.Text.RegularExpressions;
using Kestrel.Tests.SourceMaps;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Docs;

/// <summary>
/// The first hour of a new user, from a fresh clone: `dotnet run` from the root, `dotnet publish`, then the
/// commands of README.md and docs/ that can run here, copied from the docs themselves and run in bash with the
/// published binary as `kestrel` on a PATH without dotnet. Only the server's address stands in for
/// localhost:8080, and the data directory for /var/lib/kestrel.
/// </summary>
public sealed partial class DocCommandTests(FreshClone clone) : IClassFixture<FreshClone>
{
    private static string Readme => Path.Combine(SentryClients.RepositoryRoot, "README.md");
    private static string Doc(string name) => Path.Combine(SentryClients.RepositoryRoot, "docs", name);

    [Fact]
    public async Task Dotnet_run_from_the_root_keeps_its_data_in_the_root_and_out_of_git()
    {
        Assert.True(clone.ProjectCreate.ExitCode == 0, clone.ProjectCreate.Stderr);
        Assert.True(File.Exists(Path.Combine(clone.Root, "data", "kestrel.db")), "no ./data/kestrel.db in the folder dotnet run was typed in");
        Assert.False(Directory.Exists(Path.Combine(clone.Root, "src", "Kestrel", "data")));
        Assert.Equal("", clone.GitStatusAfterRun);

        var backup = await clone.RunAsync("dotnet", "run", "--project", "src/Kestrel", "--no-build", "--", "backup", "snap.tar.gz");
        Assert.True(backup.ExitCode == 0, backup.Stderr);
        var archive = Path.Combine(clone.Root, "snap.tar.gz");
        Assert.Contains($"Wrote {archive}:", backup.Stdout);
        File.Delete(archive);
    }

    [Fact]
    public async Task Publish_makes_one_file_that_runs_without_dotnet()
    {
        Assert.Equal(["kestrel"], Directory.GetFileSystemEntries(clone.PublishDirectory).Select(Path.GetFileName));
        using var home = new TempDirectory();
        var info = new ProcessStartInfo(clone.Binary, ["version"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment.Clear(); // no dotnet on PATH, no DOTNET_ROOT: a machine without .NET
        info.Environment["PATH"] = "/nonexistent";
        info.Environment["HOME"] = home.Path;
        using var process = Process.Start(info)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, stderr);
        Assert.Matches(@"^kestrel \d+\.\d+\.\d+ \(commit [0-9a-f]{12}\)$", stdout.Trim());
    }

    [Fact]
    public async Task The_quick_start_runs_as_written()
    {
        using var work = new TempDirectory();
        await using var server = await KestrelServer.StartAsync(dataDirectory: Path.Combine(work.Path, "data"), binary: clone.Binary);
        var shell = new DocShell(work.Path, clone.Binary, server.Address) { DatabaseUrl = Engines.DatabaseUrlFor(server.DataDirectory) };

        var commands = ShellBlocks.Commands(Readme, "## Quick start");
        Assert.Equal(5, commands.Count(c => !c.Text.Contains("kst_...", StringComparison.Ordinal))); // project create, send, list, resolve, search
        foreach (var command in commands)
        {
            if (command.Text.Contains("kst_...", StringComparison.Ordinal)) continue; // `export KESTREL_TOKEN=kst_...`: the shell has the real one
            var result = await shell.RunAsync(command);
            if (shell.Token is null && Token().Match(result.Stdout) is { Success: true } token) shell.Token = token.Value;
        }

        Assert.Contains("<form", await server.Http.GetStringAsync("/login")); // the single file serves the web UI's pages too
        var project = new TestProject(1, "my-app", shell.Token!, "", server);
        var issue = Assert.Single(await project.IssuesAsync());
        Assert.Equal("resolved", issue.GetProperty("status").GetString());
        Assert.Equal("a1b2c3d", issue.GetProperty("resolution").GetProperty("commitSha").GetString());
    }

    [Fact]
    [Trait("Engine", "sqlite")] // it finds the uploaded maps in the data directory; on PostgreSQL they are rows (SourceMaps tests)
    public async Task The_source_map_uploads_run_as_written_sentry_cli_included()
    {
        using var work = new TempDirectory();
        var data = Path.Combine(work.Path, "data");
        await using var server = await KestrelServer.StartAsync(dataDirectory: data, binary: clone.Binary);
        var shell = new DocShell(work.Path, clone.Binary, server.Address);
        shell.Token = Token().Match((await shell.RunAsync(new DocCommand("kestrel project create \"My App\"", null))).Stdout).Value;
        await NodeTools.BuildAppAsync(work.Path, outName: "static/js/app.min.js"); // dist/static/js/app.min.js and its map

        var commands = ShellBlocks.Commands(Readme, "## Source maps");
        Assert.Contains(commands, c => c.Text.StartsWith("sentry-cli ", StringComparison.Ordinal) && c.Text.Contains("sourcemaps upload", StringComparison.Ordinal));
        foreach (var command in commands) await shell.RunAsync(command);

        var maps = Directory.GetFiles(Path.Combine(data, "sourcemaps", "my-app"), "app.min.js.map", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Path.Combine(data, "sourcemaps", "my-app"), f)).Order().ToList();
        Assert.Equal(2, maps.Count);
        Assert.Contains("web@1.4.0/static/js/app.min.js.map", maps);         // by release, from curl
        Assert.Contains(maps, m => m.StartsWith("~none/", StringComparison.Ordinal)); // by debug ID, from sentry-cli
    }

    [Fact]
    public async Task The_piped_stdio_mcp_example_answers_every_request_in_order()
    {
        using var work = new TempDirectory();
        var shell = new DocShell(work.Path, clone.Binary, null) { DataDirectory = Path.Combine(work.Path, "var-lib-kestrel") };
        Directory.CreateDirectory(shell.DataDirectory);
        var created = await shell.RunAsync(new DocCommand($"KESTREL_DATA={shell.DataDirectory} kestrel project create \"My App\"", null));
        shell.Token = Token().Match(created.Stdout).Value;

        var example = Assert.Single(ShellBlocks.Commands(Doc("mcp.md"), "## Connecting Claude Code"), c => c.Text.StartsWith("printf", StringComparison.Ordinal));
        Assert.NotNull(example.Output);
        await shell.RunAsync(example);
    }

    [Fact]
    public async Task Settings_in_kestrel_toml_reach_every_command_as_running_it_for_real_shows()
    {
        using var work = new TempDirectory();
        var shell = new DocShell(work.Path, clone.Binary, null) { DataDirectory = Path.Combine(work.Path, "var-lib-kestrel") };
        var commands = ShellBlocks.Commands(Readme, "## Running it for real");
        Assert.StartsWith("dotnet publish src/Kestrel -c Release -o /opt/kestrel", commands[0].Text); // what FreshClone ran
        foreach (var command in commands.Skip(1).SkipLast(1)) await shell.RunAsync(command); // the last one starts the server
        Assert.Matches(@"^KESTREL_DATA=/var/lib/kestrel /opt/kestrel/kestrel$", commands[^1].Text);

        var created = await shell.RunAsync(new DocCommand("KESTREL_DATA=/var/lib/kestrel /opt/kestrel/kestrel project create \"My App\"", null));
        Assert.Matches(@"DSN: +https://[0-9a-f]{32}@errors\.example\.com/1\n", created.Stdout);
        var rotated = await shell.RunAsync(new DocCommand("KESTREL_DATA=/var/lib/kestrel /opt/kestrel/kestrel project rotate-token my-app", null));
        Assert.Contains("@errors.example.com/1", rotated.Stdout);
    }

    [Fact]
    public async Task A_bad_setting_gets_the_sentence_configuration_md_shows()
    {
        using var work = new TempDirectory();
        var shown = File.ReadAllText(Doc("configuration.md"));
        var sentence = SentenceBlock().Match(shown).Groups[1].Value;
        var shell = new DocShell(work.Path, clone.Binary, null);
        var result = await shell.RunAsync(new DocCommand("KESTREL_RETENTION_DAYS=ninety kestrel version", null), expectExit: 2);
        Assert.Equal(sentence, result.Stderr.Trim());
    }

    [GeneratedRegex(@"kst_[A-Za-z0-9_-]{43}")]
    private static partial Regex Token();

    [GeneratedRegex(@"```\n(kestrel: Setting KESTREL_RETENTION_DAYS[^\n]*)\n```")]
    private static partial Regex SentenceBlock();
}
