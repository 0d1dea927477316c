using Kestrel.Platform;

namespace Kestrel.Ingest;

/// <summary>
/// Fingerprint → issue id, kept by the writer so that storing an event into a known issue is a plain
/// update by primary key. Issues are never deleted while the server runs (retention keeps them), so
/// an entry stays true; after a rollback the writer forgets everything, since ids made in the rolled
/// back transaction are gone.
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

    public void Remove(long projectId, string fingerprint, long issueId)
    {
        if (ids.TryGetValue((projectId, fingerprint), out var known) && known == issueId) ids.Remove((projectId, fingerprint));
    }

    public void Forget() => ids.Clear();
}
