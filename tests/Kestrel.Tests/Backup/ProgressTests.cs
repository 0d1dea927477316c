using System.Diagnostics;
using System.Text;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Backup;

/// <summary>
/// Issue 16 §4: backup, verify and restore show progress on a terminal and print only their summary otherwise. The
/// terminal is a real pseudo-terminal, made by util-linux's <c>script</c>; the one-line case is
/// <c>PostgresMapsTests.Backup_restore_and_verify_print_only_their_summary_line_without_a_terminal</c> and every CLI test.
/// </summary>
[Trait("Engine", "both")] // picks its engines itself: backup of PostgreSQL, verify and restore on SQLite
public sealed class ProgressTests
{
    [Fact]
    public async Task On_a_terminal_backup_verify_and_restore_show_their_progress_then_their_summary()
    {
        using var work = new TempDirectory();
        var onPostgres = new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = await PostgresCluster.CreateDatabaseAsync() };
        Assert.Equal(0, (await KestrelProcess.RunAsync(work.Path, onPostgres, "project", "create", "Shop")).ExitCode);
        var archive = Path.Combine(work.Path, "a.tar.gz");

        var backup = await OnTerminalAsync(Path.Combine(work.Path, "node"), onPostgres, "backup", archive);
        Assert.Contains("Copying tables: ", backup);
        Assert.Contains(" tables", backup);
        Assert.Contains("\r\x1b[K", backup); // redrawn in place, and cleared before the summary
        Assert.Contains("Wrote " + archive, backup);

        var verify = await OnTerminalAsync(Path.Combine(work.Path, "check"), null, "verify", archive);
        Assert.Contains("Reading the archive: ", verify);
        Assert.Contains("is a good snapshot", verify);

        var restore = await OnTerminalAsync(Path.Combine(work.Path, "restored"), null, "restore", archive);
        Assert.Contains("Reading the archive: ", restore);
        Assert.Contains("Restored " + archive, restore);
        // The summary stands alone on its line: the progress line was cleared first.
        Assert.Matches("\r\x1b\\[KRestored ", restore);
    }

    /// <summary>Runs a kestrel command on a pseudo-terminal; returns everything it wrote there (stdout and stderr together).</summary>
    private static async Task<string> OnTerminalAsync(string dataDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var kestrel = KestrelProcess.StartInfo(dataDirectory, environment, args);
        var command = string.Join(' ', new[] { kestrel.FileName }.Concat(kestrel.ArgumentList).Select(a => "'" + a.Replace("'", "'\\''") + "'"));
        var info = new ProcessStartInfo("script")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var (key, value) in kestrel.Environment) info.Environment[key] = value;
        info.Environment["TERM"] = "xterm";
        foreach (var arg in (string[])["--quiet", "--return", "--flush", "--command", command, "/dev/null"]) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(process.ExitCode == 0, $"{string.Join(' ', args)} on a terminal exited {process.ExitCode}:\n{await output}\n{await errors}");
        return await output;
    }
}
