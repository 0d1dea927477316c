using System.Text;
using Dapper;
using Kestrel.Issues;
using Kestrel.Platform;

namespace Kestrel.Mcp;

/// <summary>
/// What the prompts know about fixes. For <c>verify_fix</c>: the fix (the resolution, or the one a regression undid),
/// the release rule it was given, the issue's hourly counts from a day before it, which releases sent events since
/// and the events themselves, each marked by the regression rule (<see cref="Regressions.Reopens"/>) as newer than
/// the fix's release or not, so the agent judges by the rule Kestrel applies rather than by guessing version order.
/// </summary>
public sealed class FixEvidence(Database database, IssueStore issues, TrendStore trends)
{
    public const int EventLimit = 20;
    public const int ReleaseLimit = 20;

    /// <summary>Whether the project has seen a release: then a fix should be marked with the release that ships it.</summary>
    public bool UsesReleases(long projectId)
    {
        using var connection = database.Connect();
        return connection.ExecuteScalar<bool>("SELECT EXISTS (SELECT 1 FROM releases WHERE project_id = @projectId)", new { projectId });
    }

    /// <returns>the evidence as data-block text (event-derived values cleaned), or null when the issue was never resolved</returns>
    public string? Describe(long projectId, IssueView issue, DateTimeOffset now)
    {
        var fix = issue.Resolution ?? issue.PreviousResolution;
        if ((fix?.At ?? issue.RegressedAt) is not { } since) return null;

        var text = new StringBuilder();
        if (fix is null) text.Append("regressed (came back after being resolved) at ").Append(ErrorText.Time(since)).Append("; the fix it undid is not recorded\n");
        else AppendFix(text, issue, fix);

        // From a day before the fix, so the agent sees the rate it had and the rate since; the hour of the fix holds
        // events from both sides, which is why the releases and events after it are listed one by one too.
        var hours = (int)Math.Clamp(Math.Ceiling((now.UtcDateTime - since).TotalHours) + 24, 1, 720);
        if (trends.Hourly(projectId, issue.Id, hours, now) is { } trend) text.Append(ErrorText.Trend(trend));

        using var connection = database.Connect();
        // Only a fix given a release has events that merely count; the rest is the regression rule's own answer.
        var bound = fix is { InRelease: not null } or { InNextRelease: true, AfterRelease: not null }
            ? new Regressions.Bound(fix.InRelease, fix.InNextRelease, fix.AfterRelease) : null;
        string Verdict(string? release) => bound is null ? ""
            : release is null ? " (no release: counts against the fix)"
            : Regressions.Reopens(bound, release, name => ReleaseOrder.Seen(connection, null, projectId, name))
                ? " (newer than the fix's release: counts against the fix)"
                : " (the fix's release or older: users still on the old version)";

        var releases = connection.Query<(string Name, long LastSeen)>("""
            SELECT value, last_seen FROM issue_tags
            WHERE issue_id = @issueId AND project_id = @projectId AND key = 'release' AND last_seen >= @sinceMs
            ORDER BY last_seen DESC LIMIT @take
            """, new { issueId = issue.Id, projectId, sinceMs = new DateTimeOffset(since, TimeSpan.Zero).ToUnixTimeMilliseconds(), take = ReleaseLimit }).AsList();
        text.Append(releases.Count == 0 ? "no release sent an event of this issue after the fix\n" : "releases that sent events of this issue after the fix, latest first:\n");
        foreach (var (name, lastSeen) in releases)
            text.Append("  ").Append(ErrorText.Clean(name)).Append(Verdict(name)).Append(", last event at ").Append(ErrorText.Time(IssueView.Time(lastSeen))).Append('\n');

        var after = issues.EventsOfKnownIssue(projectId, issue.Id, EventLimit, null).Events.Where(e => e.ReceivedAt >= since).ToList();
        text.Append(after.Count switch
        {
            0 => "no stored event arrived after the fix\n",
            EventLimit => $"{EventLimit} or more events arrived after the fix; the latest, newest first:\n",
            _ => $"{IssueMarkdown.EventCount(after.Count)} arrived after the fix, newest first:\n",
        });
        foreach (var e in after)
        {
            var release = EventValue(e, "release");
            text.Append("  ").Append(e.Id).Append(" at ").Append(ErrorText.Time(e.ReceivedAt))
                .Append(" | release ").Append(release ?? "(none)").Append(Verdict(release))
                .Append(" | environment ").Append(EventValue(e, "environment") ?? "(none)").Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The fix, what happened to it, and the release rule it was given, in the words of get_error.</summary>
    public static void AppendFix(StringBuilder text, IssueView issue, Resolution fix)
    {
        ActivityText.AppendResolution(text, fix, "the fix: ", "its note");
        if (issue.Resolution is null)
            text.Append("it did not hold: the issue regressed (came back) at ").Append(issue.RegressedAt is { } at ? ErrorText.Time(at) : "an unrecorded time")
                .Append(" and is ").Append(issue.Status).Append(" now\n");
        else if (issue.PreviousResolution is { } previous)
        {
            text.Append("it is not the first fix: ");
            ActivityText.AppendPrevious(text, previous);
        }
        text.Append(fix switch
        {
            { InRelease: { } release } => $"the fix ships in release {ErrorText.Clean(release)}: events from it or older releases only count; one from a newer release, or without a release, reopens the issue\n",
            { InNextRelease: true, AfterRelease: { } newest } => $"the fix ships in the first release after {ErrorText.Clean(newest)}: events from {ErrorText.Clean(newest)} or older only count; one from a newer release, or without a release, reopens the issue\n",
            { InNextRelease: true } => "the fix ships in the next release, and the project had none when it was resolved: any event after it reopens the issue\n",
            _ => "the fix names no release: any event after it reopens the issue\n",
        });
    }

    private static string? EventValue(EventView e, string field) =>
        Ingest.EventReader.String(e.Event, field) is { } value ? ErrorText.Clean(value.Length > 200 ? value[..200] + "…" : value) : null;
}
