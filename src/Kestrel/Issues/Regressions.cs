using System.Text.Json;
using Dapper;
using Kestrel.Platform;
using System.Data.Common;

namespace Kestrel.Issues;

/// <summary>
/// The regression rule (PRODUCT §5, §15), in one place, run by the writer in the transaction that stores the
/// events. An event on a resolved issue reopens it, except when the issue was resolved in a release and the
/// event comes from that release or an older one (<see cref="VersionOrder"/>): then it only counts. An event
/// without a release, or any event on an issue resolved without one, reopens it. Reopening keeps the
/// resolution that did not hold as <c>previous_resolution</c> and logs who (which event, which release) undid it.
/// </summary>
public static class Regressions
{
    /// <summary>How a resolved issue was resolved, as far as releases go.</summary>
    /// <param name="InRelease">resolved in this release</param>
    /// <param name="AfterRelease">resolved in the next release: the newest release when resolved, or null if there was none</param>
    public sealed record Bound(string? InRelease, bool InNextRelease, string? AfterRelease);

    /// <summary>Whether an event from <paramref name="release"/> reopens an issue resolved with <paramref name="bound"/>.</summary>
    /// <param name="seen">where the project first saw a release (its order when names are not semantic versions)</param>
    public static bool Reopens(Bound bound, string? release, Func<string, SeenRelease> seen)
    {
        if (release is null) return true;
        var limit = bound.InRelease ?? (bound.InNextRelease ? bound.AfterRelease : null);
        // Resolved without a release, or in the next release of a project that had none yet: any event reopens.
        if (limit is null) return true;
        return VersionOrder.IsNewer(seen(release), seen(limit));
    }

    private sealed record ResolvedRow(string? Commit, string? Note, long? At, string? InRelease, long InNextRelease, string? AfterRelease);

    /// <summary>
    /// Called by the writer for a resolved issue that has just stored <paramref name="events"/> (in arrival order).
    /// Reopens it for the first event that <see cref="Reopens"/> it.
    /// </summary>
    /// <returns>true when the issue was reopened (regressed)</returns>
    public static bool Check(DbConnection connection, DbTransaction transaction, long projectId, long issueId,
        IEnumerable<(string EventId, string? Release)> events, long nowMs)
    {
        var row = connection.QuerySingle<ResolvedRow>("""
            SELECT resolved_commit AS "Commit", resolved_note AS Note, resolved_at AS At, resolved_in_release AS InRelease,
                   resolved_in_next_release AS InNextRelease, resolved_after_release AS AfterRelease
            FROM issues WHERE id = @issueId
            """, new { issueId }, transaction);
        var bound = new Bound(row.InRelease, row.InNextRelease != 0, row.AfterRelease);
        var seen = new Dictionary<string, SeenRelease>(StringComparer.Ordinal);
        SeenRelease Seen(string name) => seen.TryGetValue(name, out var s) ? s : seen[name] = ReleaseOrder.Seen(connection, transaction, projectId, name);

        foreach (var (eventId, release) in events)
        {
            if (!Reopens(bound, release, Seen)) continue;
            var previous = new Resolution(row.Commit, row.Note, IssueView.Time(row.At ?? nowMs), row.InRelease, bound.InNextRelease, row.AfterRelease);
            connection.Execute("""
                UPDATE issues SET status = 'open', regressed_at = @nowMs, previous_resolution = @previous WHERE id = @issueId
                """, new { nowMs, issueId, previous = JsonSerializer.Serialize(previous, KestrelJson.Options) }, transaction);
            ActivityStore.Record(connection, transaction, new ActivityStore.Entry(projectId, issueId, nowMs, "regressed", EventId: eventId, Release: release));
            return true;
        }
        return false;
    }
}

/// <summary>What the issue page says of an event stored while its issue is resolved in a release.</summary>
public static class OlderReleases
{
    /// <summary>
    /// True for an event that came while <paramref name="issue"/> was resolved in a release and did not reopen it:
    /// its release is that release or an older one (users still running the old version).
    /// </summary>
    public static bool IsFromOlderRelease(Database database, long projectId, IssueView issue, string? release, DateTime receivedAt)
    {
        if (issue.Status != "resolved" || issue.Resolution is not { } resolution || release is null || receivedAt < resolution.At
            || resolution.InRelease is null && !resolution.InNextRelease) return false;
        using var connection = database.Connect();
        return !Regressions.Reopens(new Regressions.Bound(resolution.InRelease, resolution.InNextRelease, resolution.AfterRelease), release,
            name => ReleaseOrder.Seen(connection, null, projectId, name));
    }
}

/// <summary>Reads the order in which a project's releases were first seen (the <c>releases</c> table, by row id).</summary>
public static class ReleaseOrder
{
    public static SeenRelease Seen(DbConnection connection, DbTransaction? transaction, long projectId, string name) =>
        new(name, connection.ExecuteScalar<long?>("SELECT id FROM releases WHERE project_id = @projectId AND name = @name",
            new { projectId, name }, transaction) ?? long.MaxValue);

    /// <summary>The project's newest release (<see cref="VersionOrder"/>), or null when it has none.</summary>
    public static string? Newest(DbConnection connection, DbTransaction? transaction, long projectId) =>
        VersionOrder.Newest(connection.Query<(string Name, long Id)>("SELECT name, id FROM releases WHERE project_id = @projectId ORDER BY id",
            new { projectId }, transaction).Select(r => new SeenRelease(r.Name, r.Id)))?.Name;
}
