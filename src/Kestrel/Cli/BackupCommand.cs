using System.Globalization;
using System.Text.Json;
using Kestrel.Backup;

namespace Kestrel.Cli;

/// <summary><c>kestrel backup FILE.tar.gz</c>: an online snapshot while the server keeps running. For cron: no prompts, exit 0 or 1.</summary>
public static class BackupCommand
{
    public static int Run(ParsedCommand command)
    {
        if (command.Words is not [var archive]) return CommandLine.Fail("Name the archive to write: kestrel backup FILE.tar.gz.");
        if (CommandLine.LoadOptions(command) is not { } options) return 2;
        try
        {
            var summary = SnapshotWriter.Create(options, archive, BackupProgress.ForTerminal());
            foreach (var skipped in summary.Skipped)
                Console.Error.WriteLine($"kestrel: warning: left out {skipped}.");
            var c = summary.Counts;
            if (command.Json)
                Console.WriteLine(JsonSerializer.Serialize(new { archive = summary.Archive, bytes = summary.Bytes, projects = c.Projects, issues = c.Issues, events = c.Events, maps = c.Maps, other_files = c.OtherFiles, seconds = Math.Round(summary.Seconds, 3) }));
            else
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Wrote {summary.Archive}: {Size(summary.Bytes)}, {c.Describe()} in {summary.Seconds:0.0} s."));
            return 0;
        }
        catch (SnapshotException e) { CommandLine.Fail(e.Message); return e.ExitCode; }
        catch (Kestrel.Platform.ConfigurationException e) { return CommandLine.Fail(e.Message); }
    }

    public static string Size(long bytes) => bytes switch
    {
        < 1 << 20 => FormattableString.Invariant($"{bytes / 1024.0:0.0} KB"),
        < 1 << 30 => FormattableString.Invariant($"{bytes / 1048576.0:0.0} MB"),
        _ => FormattableString.Invariant($"{bytes / 1073741824.0:0.00} GB"),
    };
}
