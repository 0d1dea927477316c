namespace Kestrel.Backup;

/// <summary>What a snapshot holds, as printed by backup, verify and restore.</summary>
/// <param name="OtherFiles">files kept with releases that are not maps (minified sources)</param>
public sealed record SnapshotCounts(long Projects, long Issues, long Events, int Maps, int OtherFiles)
{
    public string Describe() => $"{Plural(Projects, "project")}, {Plural(Issues, "issue")}, {Plural(Events, "event")}, {Plural(Maps, "map")}"
        + (OtherFiles > 0 ? $" (and {Plural(OtherFiles, "other release file")})" : "");

    private static string Plural(long n, string noun) =>
        n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " " + noun + (n == 1 ? "" : "s");
}
