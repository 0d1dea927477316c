namespace Kestrel.Issues;

/// <summary>Who changed an issue, by the door they came through; ingest's own entries have none.</summary>
public static class Actors
{
    public const string Admin = "admin";   // the web UI, or the REST API with the admin session
    public const string Api = "api";       // the REST API with the project token
    public const string Mcp = "mcp";       // an agent through the MCP tools (stdio or HTTP)
}

/// <summary>
/// One entry of an issue's activity log as the API returns it. Only the fields of its kind are present:
/// created (<see cref="EventId"/> of the first event), resolved (<see cref="CommitSha"/>, <see cref="InRelease"/> or
/// <see cref="InNextRelease"/> with <see cref="AfterRelease"/>, <see cref="Note"/>), ignored (<see cref="Reason"/>),
/// reopened, regressed (<see cref="EventId"/> and its <see cref="Release"/>), note (<see cref="Note"/>).
/// </summary>
public sealed record ActivityView(long Id, string Kind, DateTime At, string? By, string? EventId, string? Release, string? InRelease,
    bool? InNextRelease, string? AfterRelease, string? CommitSha, string? Note, string? Reason)
{
    internal static ActivityView From(ActivityRow r) => new(r.Id, r.Kind, IssueView.Time(r.At), r.Actor, r.EventId,
        r.Kind == "regressed" ? r.Release : null,
        r.Kind == "resolved" ? r.Release : null,
        r.Kind == "resolved" && r.InNextRelease != 0 ? true : null,
        r.AfterRelease, r.CommitSha,
        r.Kind is "resolved" or "note" ? r.Text : null,
        r.Kind == "ignored" ? r.Text : null);
}

public sealed record ActivityPage(IReadOnlyList<ActivityView> Activity, string? NextCursor);

/// <summary>An issue_activity row as stored (times in Unix milliseconds).</summary>
internal sealed record ActivityRow(long Id, string Kind, long At, string? Actor, string? EventId, string? Release, long InNextRelease,
    string? AfterRelease, string? CommitSha, string? Text);

/// <summary>What a note may be, the same for the REST API, the web UI and the MCP tool.</summary>
public static class NoteRules
{
    /// <summary>Characters.</summary>
    public const int MaxLength = 4000;

    /// <returns>null when the text may be stored, else one sentence naming the field</returns>
    public static string? Problem(string? text) =>
        string.IsNullOrWhiteSpace(text) ? "text is required: the note to add, 1 to 4000 characters."
        : text.Length > MaxLength ? $"text must be at most {MaxLength} characters; this one has {text.Length}."
        : null;
}
