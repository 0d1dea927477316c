using Kestrel.Platform;

namespace Kestrel.Cli;

public static class VersionCommand
{
    public static int Run()
    {
        Console.WriteLine($"kestrel {AppInfo.Version} (commit {AppInfo.Commit})");
        return 0;
    }
}
