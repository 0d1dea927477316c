using System.Globalization;
using Kestrel.Backup;

namespace Kestrel.Cli;

/// <summary>
/// <c>kestrel restore FILE.tar.gz</c>: verifies the archive, then swaps its database and maps into the data
/// directory. Exit 0 restored, 1 the archive is not usable or the restore failed (nothing changed), 3 a server
/// is running on the data directory.
/// </summary>
public static class RestoreCommand
{
    public static int Run(ParsedCommand command)
    {
        if (command.Words is not [var archive]) return CommandLine.Fail("Name the archive to restore: kestrel restore FILE.tar.gz.");
        if (CommandLine.LoadOptions(command) is not { } options) return 2;
        try
        {
            var (restored, verification) = SnapshotRestorer.Restore(options, archive, BackupProgress.ForTerminal());
            if (restored is null) return VerifyCommand.Report(archive, verification);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Restored {restored.Archive} into {restored.DataDirectory}: {restored.Counts.Describe()} in {restored.Seconds:0.0} s."));
            return 0;
        }
        catch (SnapshotException e) { CommandLine.Fail(e.Message); return e.ExitCode; }
        catch (Kestrel.Platform.ConfigurationException e) { return CommandLine.Fail(e.Message); }
    }
}
