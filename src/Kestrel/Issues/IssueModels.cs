using System.Text.Json;

namespace Kestrel.Issues;

/// <summary>An issues row as stored (times in Unix milliseconds).</summary>
public sealed record IssueRow(long Id, long ProjectId, string ProjectSlug, string Fingerprint, string GroupingVersion, string Title, string Type,
    string Culprit, string Level, string Status, long EventCount, long FirstSeen, long LastSeen, long? RegressedAt,
    string? ResolvedCommit, string? ResolvedNote, long? ResolvedAt, string? IgnoreReason,
    long UsersAffected, string? FirstRelease, string? LastRelease);

public sealed record Resolution(string? CommitSha, string? Note, DateTime At);

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
        r.Status == "resolved" && r.ResolvedAt is { } at ? new Resolution(r.ResolvedCommit, r.ResolvedNote, Time(at)) : null,
        r.Status == "ignored" ? r.IgnoreReason : null)
    {
        UsersAffected = r.UsersAffected,
        FirstRelease = r.FirstRelease,
        LastRelease = r.LastRelease,
    };

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

/// <summary>A status change: resolved (with optional commit and note), ignored (with optional reason) or open.</summary>
public sealed record StatusChange(string Status, string? CommitSha, string? Note, string? Reason)
{

    /// <summary>Checks a change as the API and the web UI receive it.</summary>
    /// <returns>null and the change, or a one-sentence error and no change</returns>
    public static string? TryCreate(string? status, string? commitSha, string? note, string? reason, out StatusChange? change)
    {
        change = null;
        if (status is null || !IssueRules.Statuses.Contains(status)) return "status is required and must be open, resolved or ignored.";
        if (commitSha is not null && !IssueRules.IsCommitSha(commitSha)) return IssueRules.CommitShaProblem;
        if (note is { Length: > IssueRules.MaxTextLength } || reason is { Length: > IssueRules.MaxTextLength }) return IssueRules.TextProblem;
        change = new StatusChange(status, commitSha?.ToLowerInvariant(), note, reason);
        return null;
    }
}
