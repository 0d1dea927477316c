using Kestrel.Platform;

namespace Kestrel.Cli;

public static class VersionCommand
{
    public static int Run(ParsedCommand command)
    {
        // Settings are checked here too: `kestrel version` is often the first thing run after configuring.
        if (CommandLine.LoadOptions(command) is null) return 2;
        Console.WriteLine($"kestrel {AppInfo.Version} (commit {AppInfo.Commit})");
        return 0;
    }
}
