namespace Kestrel.Backup;

/// <summary>A backup, verify or restore that cannot go on; the message is one sentence for the operator.</summary>
public sealed class SnapshotException(string message, int exitCode = SnapshotException.Failed) : Exception(message)
{
    /// <summary>Exit codes of backup, verify and restore; 2 is a usage or configuration mistake, as for every command.</summary>
    public const int Failed = 1, ServerRunning = 3;

    public int ExitCode { get; } = exitCode;
}

/// <summary>What a snapshot holds, as printed by backup, verify and restore.</summary>
/// <param name="OtherFiles">files kept with releases that are not maps (minified sources)</param>
public sealed record SnapshotCounts(long Projects, long Issues, long Events, int Maps, int OtherFiles)
{
    public string Describe() => $"{Plural(Projects, "project")}, {Plural(Issues, "issue")}, {Plural(Events, "event")}, {Plural(Maps, "map")}"
        + (OtherFiles > 0 ? $" (and {Plural(OtherFiles, "other release file")})" : "");

    private static string Plural(long n, string noun) =>
        n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " " + noun + (n == 1 ? "" : "s");
}
