using System.Collections.Concurrent;
using System.Diagnostics;

namespace Kestrel.Projects;

/// <summary>
/// PostgreSQL only: the projects <see cref="CredentialLookups"/> found in the last second, by token hash and by public
/// key, so a storm's thousands of requests a second cost the database one look-up a second instead of one each (a round
/// trip, and the server's CPU that the writer shares; docs/performance.md). PRODUCT §13 lets a token rotation or a
/// project change take up to 2 seconds to reach every node: a change made on this node clears the cache at once, one
/// made elsewhere arrives as a NOTIFY (<see cref="ProjectChangeListener"/>), and the one-second life bounds what a
/// missed notification can leave. Only projects found are kept: a new token works on its first request, and a wrong one
/// is looked up every time, as before. SQLite keeps no cache: its look-up is in-process and costs less than keeping one.
/// </summary>
internal sealed class RecentCredentials
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, (Project Project, long Until)> byTokenHash = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (Project Project, long Until)> byPublicKey = new(StringComparer.Ordinal);

    /// <summary>Bumped by every <see cref="Clear"/>: a look-up that began before a clear must not put its answer back after it.</summary>
    private long generation;

    public long Generation => Interlocked.Read(ref generation);

    public Project? ByTokenHash(string hash) => Find(byTokenHash, hash);

    public Project? ByPublicKey(string publicKey) => Find(byPublicKey, publicKey);

    public void AddByTokenHash(string hash, Project project, long startedIn) => Add(byTokenHash, hash, project, startedIn);

    public void AddByPublicKey(string publicKey, Project project, long startedIn) => Add(byPublicKey, publicKey, project, startedIn);

    public void Clear()
    {
        Interlocked.Increment(ref generation);
        byTokenHash.Clear();
        byPublicKey.Clear();
    }

    private static Project? Find(ConcurrentDictionary<string, (Project Project, long Until)> cache, string key) =>
        cache.TryGetValue(key, out var entry) && Stopwatch.GetTimestamp() < entry.Until ? entry.Project : null;

    private void Add(ConcurrentDictionary<string, (Project Project, long Until)> cache, string key, Project project, long startedIn)
    {
        cache[key] = (project, Stopwatch.GetTimestamp() + (long)(Lifetime.TotalSeconds * Stopwatch.Frequency));
        // A clear between the look-up and now may have been for this very project: drop what was just put back.
        if (Generation != startedIn) cache.TryRemove(key, out _);
    }
}
