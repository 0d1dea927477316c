using System.Text.Json;

namespace Kestrel.Issues;

/// <summary>An issues row as stored (times in Unix milliseconds).</summary>
public sealed record IssueRow(long Id, long ProjectId, string ProjectSlug, string Fingerprint, string GroupingVersion, string Title, string Type,
    string Culprit, string Level, string Status, long EventCount, long FirstSeen, long LastSeen, long? RegressedAt,
    string? ResolvedCommit, string? ResolvedNote, long? ResolvedAt, string? IgnoreReason,
    string? ResolvedInRelease, long ResolvedInNextRelease, string? ResolvedAfterRelease, string? PreviousResolution,
    long UsersAffected, string? FirstRelease, string? LastRelease);

/// <summary>
/// How an issue was resolved. <see cref="InRelease"/>: only an event from a newer release reopens it.
/// <see cref="InNextRelease"/>: only an event from a release newer than <see cref="AfterRelease"/>, the project's
/// newest release when it was resolved (absent when it had none), reopens it.
/// </summary>
public sealed record Resolution(string? CommitSha, string? Note, DateTime At, string? InRelease = null, bool InNextRelease = false, string? AfterRelease = null);

/// <summary>An issue as the API returns it.</summary>
public sealed record IssueView(long Id, string Project, string Title, string Type, string Culprit, string Level, string Status,
    long EventCount, DateTime FirstSeen, DateTime LastSeen, string Fingerprint, string GroupingVersion,
    DateTime? RegressedAt, Resolution? Resolution, string? IgnoreReason)
{
    /// <summary>Distinct values of the issue's <c>user</c> tag (PRODUCT §15).</summary>
    public long UsersAffected { get; init; }
    /// <summary>The release of the first event that had one.</summary>
    public string? FirstRelease { get; init; }
    /// <summary>The release of the latest event that had one.</summary>
    public string? LastRelease { get; init; }

    public static IssueView From(IssueRow r) => new(r.Id, r.ProjectSlug, r.Title, r.Type, r.Culprit, r.Level, r.Status, r.EventCount,
        Time(r.FirstSeen), Time(r.LastSeen), r.Fingerprint, r.GroupingVersion, r.RegressedAt is { } g ? Time(g) : null,
        r.Status == "resolved" && r.ResolvedAt is { } at
            ? new Resolution(r.ResolvedCommit, r.ResolvedNote, Time(at), r.ResolvedInRelease, r.ResolvedInNextRelease != 0, r.ResolvedAfterRelease)
            : null,
        r.Status == "ignored" ? r.IgnoreReason : null)
    {
        PreviousResolution = r.PreviousResolution is { } previous ? JsonSerializer.Deserialize<Resolution>(previous, Platform.KestrelJson.Options) : null,
        UsersAffected = r.UsersAffected,
        FirstRelease = r.FirstRelease,
        LastRelease = r.LastRelease,
    };

    /// <summary>The resolution the last regression undid (kept next to <see cref="RegressedAt"/>), so whoever fixes it next sees which fix failed.</summary>
    public Resolution? PreviousResolution { get; init; }

    public static DateTime Time(long ms) => DateTime.UnixEpoch.AddMilliseconds(ms);
}

public sealed record IssuePage(IReadOnlyList<IssueView> Issues, string? NextCursor);

/// <summary>A stored event: <see cref="Event"/> is its normalised Sentry JSON.</summary>
public sealed record EventView(string Id, DateTime ReceivedAt, DateTime Timestamp, string Level, JsonElement Event)
{
    /// <summary>What users wrote about this event (Sentry user feedback), oldest first.</summary>
    public IReadOnlyList<FeedbackView> Feedback { get; init; } = [];
}

public sealed record FeedbackView(string Name, string Email, string Comments, string Url, DateTime ReceivedAt);

public sealed record EventPage(IReadOnlyList<EventView> Events, string? NextCursor);

/// <summary>Filters of the issue list: <see cref="Query"/> is a parsed search (docs/search.md), <see cref="Sort"/> a name of <see cref="Search.SearchSql.Sorts"/>.</summary>
public sealed record IssueQuery(string? Status, DateTimeOffset? Since, Search.SearchQuery? Query, int Limit, string? Cursor, string Sort = "lastSeen");

/// <summary>
/// A status change: resolved (with optional commit, note, and release: <see cref="InRelease"/> or
/// <see cref="InNextRelease"/>), ignored (with optional reason) or open.
/// </summary>
public sealed record StatusChange(string Status, string? CommitSha, string? Note, string? Reason)
{
    public string? InRelease { get; init; }
    public bool InNextRelease { get; init; }

    /// <summary>Checks a change as the API, the web UI and the MCP tools receive it (one wording everywhere).</summary>
    /// <returns>null and the change, or a one-sentence error and no change</returns>
    public static string? TryCreate(string? status, string? commitSha, string? note, string? reason, string? inRelease, bool inNextRelease,
        out StatusChange? change)
    {
        change = null;
        if (TryCreatePlain(status, commitSha, note, reason, out var plain) is { } error) return error;
        if ((inRelease is not null || inNextRelease) && status != "resolved") return IssueRules.ReleaseOnlyWhenResolvedProblem;
        if (inRelease is not null && inNextRelease) return IssueRules.ReleaseEitherProblem;
        if (inRelease is not null && !IssueRules.IsReleaseName(inRelease)) return IssueRules.ReleaseNameProblem;
        change = plain! with { InRelease = inRelease, InNextRelease = inNextRelease };
        return null;
    }

    private static string? TryCreatePlain(string? status, string? commitSha, string? note, string? reason, out StatusChange? change)
    {
        change = null;
        if (status is null || !IssueRules.Statuses.Contains(status)) return "status is required and must be open, resolved or ignored.";
        if (commitSha is not null && !IssueRules.IsCommitSha(commitSha)) return IssueRules.CommitShaProblem;
        if (note is { Length: > IssueRules.MaxTextLength }) return IssueRules.NoteProblem;
        if (reason is { Length: > IssueRules.MaxTextLength }) return IssueRules.ReasonProblem;
        change = new StatusChange(status, commitSha?.ToLowerInvariant(), note, reason);
        return null;
    }
}
