using System.Globalization;
using System.Text;
using Kestrel.Issues;

namespace Kestrel.Mcp;

/// <summary>
/// The compact text of each tool's result: what most agents read, a few lines per issue or frame. Event
/// content is untrusted, so every value is written on its own line with control and bidirectional
/// characters replaced: a message cannot fake a line of this layout or hide text from a reader.
/// </summary>
public static class ErrorText
{
    public static string List(ErrorList list, string? status)
    {
        var text = new StringBuilder();
        if (list.Issues.Count == 0) text.Append(status is null ? "No issues." : $"No {status} issues.").Append('\n');
        foreach (var issue in list.Issues)
            text.Append('#').Append(issue.Id).Append(' ').Append(issue.Status).Append(' ').Append(issue.Level).Append(' ')
                .Append(Clean(issue.Title)).Append(issue.Culprit is null ? "" : " | " + Clean(issue.Culprit)).Append(" | ")
                .Append(issue.EventCount).Append(issue.EventCount == 1 ? " event" : " events")
                .Append(issue.UsersAffected == 0 ? "" : issue.UsersAffected == 1 ? " | 1 user" : $" | {issue.UsersAffected} users").Append(" | last seen ").Append(Time(issue.LastSeen)).Append('\n');
        if (list.NextCursor is not null) text.Append("More issues: call list_errors again with cursor \"").Append(list.NextCursor).Append("\".\n");
        return text.ToString();
    }

    public static string Issue(IssueView issue)
    {
        var text = new StringBuilder();
        text.Append("Issue #").Append(issue.Id).Append(": ").Append(Clean(issue.Title)).Append('\n');
        text.Append("status ").Append(issue.Status).Append(" | level ").Append(issue.Level).Append(" | ").Append(issue.EventCount).Append(issue.EventCount == 1 ? " event" : " events")
            .Append(" | first seen ").Append(Time(issue.FirstSeen)).Append(" | last seen ").Append(Time(issue.LastSeen)).Append('\n');
        if (issue.Culprit.Length > 0) text.Append("culprit: ").Append(Clean(issue.Culprit)).Append('\n');
        text.Append("users affected: ").Append(issue.UsersAffected);
        if (issue.FirstRelease is not null) text.Append(" | first release ").Append(Clean(issue.FirstRelease));
        if (issue.LastRelease is not null) text.Append(" | last release ").Append(Clean(issue.LastRelease));
        text.Append('\n');
        if (issue.Resolution is { } resolution) ActivityText.AppendResolution(text, resolution, "", "note");
        if (issue.RegressedAt is { } regressed) text.Append("regressed (came back after being resolved) at ").Append(Time(regressed)).Append('\n');
        if (issue.PreviousResolution is { } previous) ActivityText.AppendPrevious(text, previous);
        if (issue.Status == "ignored") text.Append("ignored").Append(issue.IgnoreReason is null ? "" : ": " + Clean(issue.IgnoreReason)).Append('\n');
        return text.ToString();
    }

    public static string Details(ErrorDetails details)
    {
        var text = new StringBuilder(Issue(details.Issue));
        foreach (var tag in details.Tags)
            text.Append(tag.Key).Append(": ").AppendJoin(", ", tag.Values.Select(v => Clean(v.Value) + " " + Percent(v.Percent)))
                .Append(tag.UniqueValues > tag.Values.Count ? $" (of {tag.UniqueValues} values)" : "").Append('\n');
        if (details.Events.Count == 0) text.Append("\nNo events are stored for this issue (older ones may have passed the retention period).\n");
        for (var i = 0; i < details.Events.Count; i++) AppendEvent(text, details.Events[i], i + 1, details.Events.Count);
        ActivityText.AppendLog(text, details.Activity);
        return text.ToString();
    }

    private static void AppendEvent(StringBuilder text, ErrorEvent e, int number, int count)
    {
        text.Append("\nEvent ").Append(number).Append('/').Append(count).Append(' ').Append(e.Id).Append(" at ").Append(Time(e.Timestamp)).Append(' ').Append(e.Level);
        if (e.Release is not null) text.Append(" | release ").Append(Clean(e.Release));
        if (e.Environment is not null) text.Append(" | environment ").Append(Clean(e.Environment));
        text.Append('\n');
        if (e.Message is not null) text.Append("message: ").Append(Clean(e.Message)).Append('\n');
        if (e.Transaction is not null) text.Append("transaction: ").Append(Clean(e.Transaction)).Append('\n');
        for (var i = 0; i < e.Exceptions.Count; i++) AppendException(text, e.Exceptions[i], causedBy: i > 0);
        if (e.Request is { } request) text.Append("request: ").Append(request.Method is null ? "" : Clean(request.Method) + " ").Append(Clean(request.Url)).Append('\n');
        if (e.User is { } user)
            text.Append("user: ").AppendJoin(", ", new[] { ("id", user.Id), ("email", user.Email), ("username", user.Username), ("ip", user.IpAddress) }
                .Where(p => p.Item2 is not null).Select(p => p.Item1 + " " + Clean(p.Item2!))).Append('\n');
        if (e.Tags is { } tags) text.Append("tags: ").AppendJoin(", ", tags.Select(t => Clean(t.Key) + "=" + Clean(t.Value))).Append('\n');
        if (e.Breadcrumbs is { } breadcrumbs)
        {
            text.Append("breadcrumbs (oldest first):\n");
            foreach (var b in breadcrumbs)
            {
                text.Append("  ").Append(b.Timestamp is { } at ? at.ToString("HH:mm:ss", CultureInfo.InvariantCulture) : "--:--:--");
                text.Append(' ').Append(Clean(b.Category ?? b.Type ?? "default"));
                if (b.Level is not null and not "info") text.Append(" [").Append(Clean(b.Level)).Append(']');
                if (b.Message is not null) text.Append(' ').Append(Clean(b.Message));
                if (b.Data is { } data) text.Append(" {").AppendJoin(", ", data.Select(d => Clean(d.Key) + ": " + Clean(d.Value))).Append('}');
                text.Append('\n');
            }
        }
    }

    private static void AppendException(StringBuilder text, ErrorException exception, bool causedBy)
    {
        text.Append(causedBy ? "caused by " : "").Append(Clean(exception.Type ?? "Error"));
        if (exception.Value is not null) text.Append(": ").Append(Clean(exception.Value));
        text.Append('\n');
        foreach (var frame in exception.Frames)
        {
            text.Append("  at ").Append(Clean(frame.Function ?? "?")).Append(" (").Append(Clean(frame.File ?? "?"));
            if (frame.Line is { } line) text.Append(':').Append(line);
            if (frame.Column is { } column) text.Append(':').Append(column);
            text.Append(')').Append(frame.InApp == false ? " [library]" : "").Append('\n');
            if (frame.ContextLine is null || frame.Line is not { } lineNumber) continue;
            var pre = frame.PreContext ?? [];
            for (var i = 0; i < pre.Count; i++) AppendSource(text, lineNumber - pre.Count + i, pre[i], current: false);
            AppendSource(text, lineNumber, frame.ContextLine, current: true);
            var post = frame.PostContext ?? [];
            for (var i = 0; i < post.Count; i++) AppendSource(text, lineNumber + 1 + i, post[i], current: false);
        }
        if (exception.OmittedFrames > 0) text.Append("  ... ").Append(exception.OmittedFrames).Append(" outer frames left out\n");
    }

    private static void AppendSource(StringBuilder text, int line, string source, bool current) =>
        text.Append(current ? "    > " : "      ").Append(line.ToString(CultureInfo.InvariantCulture).PadLeft(5)).Append(" | ").Append(Clean(source)).Append('\n');

    public static string Trend(ErrorTrend trend)
    {
        var text = new StringBuilder();
        text.Append("Issue #").Append(trend.IssueId).Append(": ").Append(trend.Total).Append(trend.Total == 1 ? " event" : " events")
            .Append(" in the last ").Append(trend.Hours).Append(trend.Hours == 1 ? " hour" : " hours").Append(" (hours in UTC).\n");
        var busiest = trend.Counts.Select((n, i) => (n, i)).Where(p => p.n > 0).ToList();
        if (busiest.Count > 0)
        {
            var peak = busiest.MaxBy(p => p.n);
            text.Append("busiest hour: ").Append(Time(trend.From.AddHours(peak.i))).Append(" with ").Append(peak.n).Append('\n');
        }
        text.Append("per hour, oldest first, from ").Append(Time(trend.From)).Append(": ").AppendJoin(' ', trend.Counts).Append('\n');
        return text.ToString();
    }

    public static string TagValues(TagValueList list)
    {
        var text = new StringBuilder();
        if (list.Values.Count == 0) return $"No event of issue #{list.IssueId} had the tag {list.Key}.\n";
        text.Append("Issue #").Append(list.IssueId).Append(" tag ").Append(list.Key).Append(": ").Append(list.UniqueValues)
            .Append(list.UniqueValues == 1 ? " value" : " values").Append(" over ").Append(list.TaggedEvents).Append(" of ").Append(list.EventCount)
            .Append(" events, most frequent first:\n");
        foreach (var v in list.Values)
            text.Append(Clean(v.Value)).Append(" | ").Append(v.Count).Append(" (").Append(Percent(v.Percent)).Append(") | last seen ").Append(Time(v.LastSeen)).Append('\n');
        if (list.UniqueValues > list.Values.Count) text.Append(list.UniqueValues - list.Values.Count).Append(" less frequent values left out; raise limit to see more.\n");
        return text.ToString();
    }

    private static string Percent(double percent) => percent.ToString("0.#", CultureInfo.InvariantCulture) + "%";

    public static string Time(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// One line of untrusted text: line breaks shown as \n, other control characters and the
    /// bidirectional overrides (which can reorder what a reader sees) as U+FFFD.
    /// </summary>
    public static string Clean(string text)
    {
        if (!text.Any(NeedsCleaning)) return text;
        var clean = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (!NeedsCleaning(c)) clean.Append(c);
            else if (c == '\n') clean.Append("\\n");
            else if (c is '\t' or '\r') clean.Append(' ');
            else clean.Append('\uFFFD');
        }
        return clean.ToString();
    }

    private static bool NeedsCleaning(char c) =>
        char.IsControl(c) || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F' or '\u061C';
}
