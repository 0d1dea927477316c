using System.Text;
using Kestrel.Issues;

namespace Kestrel.Mcp;

/// <summary>The release and activity lines of <c>get_error</c>'s text; notes are untrusted text like event content.</summary>
public static class ActivityText
{
    /// <summary>" in release 2.4.1" or " in the next release (after 2.4.0)" for a resolution that names one.</summary>
    public static void AppendRelease(StringBuilder text, Resolution resolution)
    {
        if (resolution.InRelease is { } release) text.Append(" in release ").Append(ErrorText.Clean(release));
        else if (resolution.InNextRelease)
            text.Append(" in the next release").Append(resolution.AfterRelease is { } after ? " (after " + ErrorText.Clean(after) + ")" : "");
    }

    public static void AppendPrevious(StringBuilder text, Resolution previous) =>
        AppendResolution(text, previous, "previous resolution that did not hold: ", "previous note");

    /// <summary>"resolved at T by commit C in release R" and, when it has one, the note on a line of its own.</summary>
    public static void AppendResolution(StringBuilder text, Resolution resolution, string lead, string noteLabel)
    {
        text.Append(lead).Append("resolved at ").Append(ErrorText.Time(resolution.At));
        if (resolution.CommitSha is not null) text.Append(" by commit ").Append(resolution.CommitSha);
        AppendRelease(text, resolution);
        text.Append('\n');
        if (resolution.Note is not null) text.Append(noteLabel).Append(": ").Append(ErrorText.Clean(resolution.Note)).Append('\n');
    }

    public static void AppendLog(StringBuilder text, IReadOnlyList<ActivityView> activity)
    {
        if (activity.Count == 0) return;
        text.Append("\nActivity (newest first):\n");
        foreach (var entry in activity) text.Append("  ").Append(ErrorText.Time(entry.At)).Append(' ').Append(Line(entry)).Append('\n');
    }

    /// <summary>One entry in words, such as "resolved by mcp in release 2.4.1 by commit a1b2c3d: note".</summary>
    public static string Line(ActivityView entry)
    {
        var text = new StringBuilder(entry.Kind);
        if (entry.By is not null) text.Append(" by ").Append(entry.By);
        if (entry.Kind == "resolved")
        {
            AppendRelease(text, new Resolution(null, null, entry.At, entry.InRelease, entry.InNextRelease == true, entry.AfterRelease));
            if (entry.CommitSha is not null) text.Append(" with commit ").Append(entry.CommitSha);
        }
        if (entry.EventId is not null) text.Append(entry.Kind == "created" ? " by event " : " on event ").Append(entry.EventId);
        if (entry.Release is not null) text.Append(" from release ").Append(ErrorText.Clean(entry.Release));
        if ((entry.Note ?? entry.Reason) is { } words) text.Append(": ").Append(ErrorText.Clean(words));
        return text.ToString();
    }
}
