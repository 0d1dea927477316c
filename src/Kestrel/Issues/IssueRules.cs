using System.Globalization;

namespace Kestrel.Issues;

/// <summary>
/// What the issue arguments may be, shared by the REST API and the MCP tools so that both take and
/// refuse the same input with the same words. The argument names are the ones both surfaces use.
/// </summary>
public static class IssueRules
{
    public static readonly string[] Statuses = ["open", "resolved", "ignored"];

    /// <summary>Characters, for a resolution note and an ignore reason.</summary>
    public const int MaxTextLength = 2000;

    public const string StatusProblem = "status must be open, resolved or ignored.";
    public const string SinceProblem = "since must be an ISO-8601 time such as 2026-01-31T12:00:00Z.";
    public const string CursorProblem = "cursor is not one this server gave out.";
    public const string CommitShaProblem = "commit_sha must be 7 to 64 hexadecimal characters.";
    public const string NoteProblem = "note must be at most 2000 characters.";
    public const string ReasonProblem = "reason must be at most 2000 characters.";
    public const string ReleaseOnlyWhenResolvedProblem = "in_release and in_next_release go only with status resolved.";
    public const string ReleaseEitherProblem = "Give in_release or in_next_release, not both.";
    public const string ReleaseNameProblem = "in_release must be a release name of 1 to 200 characters, such as 2.4.1 or my-app@2.4.1.";

    /// <summary>A release as events and uploads name it (Sentry allows up to 200 characters, no line breaks).</summary>
    public static bool IsReleaseName(string name) =>
        name.Length is > 0 and <= SourceMaps.ReleaseNames.MaxLength && name.Trim().Length == name.Length && !name.Any(char.IsControl);

    // ISO 8601 only, so that 01/02/2026 is refused rather than read as one month or the other. No offset means UTC.
    private static readonly string[] IsoFormats =
        ["yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd"];

    public static bool TryParseSince(string text, out DateTimeOffset since) =>
        DateTimeOffset.TryParseExact(text, IsoFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out since);

    /// <summary>A cursor of the issue list (last seen and id of a page's last issue).</summary>
    public static bool IsListCursor(string cursor) => Cursor.Decode(cursor, 2) is not null;

    /// <summary>A git commit id, abbreviated (at least 7) or full (SHA-1 40, SHA-256 64); not checked against any repository.</summary>
    public static bool IsCommitSha(string sha) => sha.Length is >= 7 and <= 64 && sha.All(char.IsAsciiHexDigit);
}
