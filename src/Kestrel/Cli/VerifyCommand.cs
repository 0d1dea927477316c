using System.Globalization;
using System.Text.Json;
using Kestrel.Backup;

namespace Kestrel.Cli;

/// <summary><c>kestrel verify FILE.tar.gz</c>: checks an archive without restoring it. Exit 0 when it is usable, 1 when not.</summary>
public static class VerifyCommand
{
    public static int Run(ParsedCommand command)
    {
        if (command.Words is not [var archive]) return CommandLine.Fail("Name the archive to check: kestrel verify FILE.tar.gz.");
        if (CommandLine.LoadOptions(command) is null) return 2; // it uses no setting, but a bad one is reported by every command
        try
        {
            var verification = SnapshotVerifier.VerifyOnly(archive, BackupProgress.ForTerminal());
            if (!verification.Ok) return Report(archive, verification);
            var c = verification.Counts!;
            var bytes = new FileInfo(archive).Length;
            if (command.Json)
                Console.WriteLine(JsonSerializer.Serialize(new { archive = Path.GetFullPath(archive), ok = true, bytes, projects = c.Projects, issues = c.Issues, events = c.Events, maps = c.Maps, other_files = c.OtherFiles }));
            else
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{Path.GetFullPath(archive)} is a good snapshot: {BackupCommand.Size(bytes)}, database integrity ok, {c.Describe()}, every map valid."));
            return 0;
        }
        catch (SnapshotException e) { CommandLine.Fail(e.Message); return e.ExitCode; }
    }

    /// <summary>One line per problem on stderr, then the verdict; exit 1.</summary>
    public static int Report(string archive, SnapshotVerifier.Verification verification)
    {
        var name = Path.GetFileName(archive);
        foreach (var problem in verification.Problems) Console.Error.WriteLine($"kestrel: {name}: {problem}.");
        if (verification.MoreProblems > 0) Console.Error.WriteLine($"kestrel: {name}: and {verification.MoreProblems} more problems.");
        Console.Error.WriteLine($"kestrel: {name} is not a usable Kestrel snapshot.");
        return SnapshotException.Failed;
    }
}
