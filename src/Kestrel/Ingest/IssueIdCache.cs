using Kestrel.Platform;

namespace Kestrel.Ingest;

/// <summary>
/// Fingerprint → issue id, kept by the writer so that storing an event into a known issue is a plain
/// update by primary key. An entry can go stale only if its issue is deleted: the store removes what it
/// deletes itself, a rollback makes the writer forget everything (ids made in the rolled-back
/// transaction are gone), and an update that finds no row rolls back too.
/// </summary>
public sealed class IssueIdCache : IWriterMemo
{
    /// <summary>About 10 MB at most; when full it starts again, which costs one lookup per issue.</summary>
    private const int MaxEntries = 65_536;

    private readonly Dictionary<(long Project, string Fingerprint), long> ids = [];

    public bool TryGet(long projectId, string fingerprint, out long issueId) => ids.TryGetValue((projectId, fingerprint), out issueId);

    public void Add(long projectId, string fingerprint, long issueId)
    {
        if (ids.Count >= MaxEntries) ids.Clear();
        ids[(projectId, fingerprint)] = issueId;
    }

    public void Remove(long projectId, string fingerprint) => ids.Remove((projectId, fingerprint));

    public void Forget() => ids.Clear();
}
