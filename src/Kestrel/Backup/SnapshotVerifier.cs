namespace Kestrel.Backup;

/// <summary><c>kestrel verify</c>, and the first half of every restore: is this archive a snapshot Kestrel can restore?</summary>
public static class SnapshotVerifier
{
    /// <param name="Counts">what the archive holds; null when it is not usable</param>
    public sealed record Verification(SnapshotCounts? Counts, IReadOnlyList<string> Problems, int MoreProblems)
    {
        public bool Ok => Problems.Count == 0;
    }

    /// <summary>Checks the layout, every map and the database's integrity, extracting into <paramref name="work"/>.</summary>
    /// <param name="keepMaps">leave the maps in <paramref name="work"/> too (restore)</param>
    public static Verification Verify(string archive, string work, bool keepMaps, BackupProgress? progress = null)
    {
        if (!File.Exists(archive)) throw new SnapshotException($"There is no archive at {Path.GetFullPath(archive)}.");
        var read = SnapshotReader.Extract(archive, work, keepMaps, progress);
        progress?.Working("Checking the database's integrity");
        if (read.Problems.Count > 0) return new Verification(null, read.Problems, read.MoreProblems);
        var (counts, problem) = SnapshotDatabase.Check(Path.Combine(work, SnapshotLayout.DatabaseEntry));
        if (problem is not null) return new Verification(null, [problem], 0);
        var (projects, issues, events) = counts!.Value;
        return new Verification(new SnapshotCounts(projects, issues, events, read.Maps, read.OtherFiles), [], 0);
    }

    /// <summary>Verifies in a private temporary folder ($TMPDIR), which needs room for the database.</summary>
    public static Verification VerifyOnly(string archive, BackupProgress? progress = null)
    {
        var work = Directory.CreateTempSubdirectory("kestrel-verify-");
        try { return Verify(archive, work.FullName, keepMaps: false, progress); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SnapshotException($"Checking {archive} failed: {e.Message}");
        }
        finally
        {
            progress?.Done();
            work.Delete(recursive: true);
        }
    }
}
