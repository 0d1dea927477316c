using System.Collections.Concurrent;
using System.Diagnostics;

namespace Kestrel.Projects;

/// <summary>
/// PostgreSQL only: the projects <see cref="CredentialLookups"/> found in the last second by one kind of credential
/// (token hash or public key), so a storm's thousands of requests a second cost the database one look-up a second
/// instead of one each (a round trip, and the server's CPU that the writer shares; docs/performance.md). PRODUCT §13 lets a token rotation or a
/// project change take up to 2 seconds to reach every node: a change made on this node clears the cache at once, one
/// made elsewhere arrives as a NOTIFY (<see cref="ProjectChangeListener"/>), and the one-second life bounds what a
/// missed notification can leave. Only projects found are kept: a new token works on its first request, and a wrong one
/// is looked up every time, as before. SQLite keeps no cache: its look-up is in-process and costs less than keeping one.
/// </summary>
internal sealed class RecentCredentials
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, (Project Project, long Until)> found = new(StringComparer.Ordinal);

    /// <summary>Bumped by every <see cref="Clear"/>: a look-up that began before a clear must not put its answer back after it.</summary>
    private long generation;

    /// <summary>The project kept under <paramref name="key"/>, or else what <paramref name="lookUp"/> finds (kept if found).</summary>
    public Project? Find<TState>(string key, TState state, Func<TState, Project?> lookUp)
    {
        if (found.TryGetValue(key, out var entry) && Stopwatch.GetTimestamp() < entry.Until) return entry.Project;
        var startedIn = Interlocked.Read(ref generation);
        var project = lookUp(state);
        if (project is null) return null;
        found[key] = (project, Stopwatch.GetTimestamp() + (long)(Lifetime.TotalSeconds * Stopwatch.Frequency));
        // A clear between the look-up and now may have been for this very project: drop what was just put back.
        if (Interlocked.Read(ref generation) != startedIn) found.TryRemove(key, out _);
        return project;
    }

    public void Clear()
    {
        Interlocked.Increment(ref generation);
        found.Clear();
    }
}
