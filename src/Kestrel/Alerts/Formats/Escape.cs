using System.Globalization;
using System.Net;
using System.Text;

namespace Kestrel.Alerts.Formats;

/// <summary>
/// Event text made safe for one target. Every byte of an event is hostile: it may carry markup, fake
/// links, or mentions that would ping a whole channel. Each target gets its own rules, and every
/// field is cut to a length the target accepts (cut on a whole character, never inside a surrogate pair).
/// </summary>
public static class Escape
{
    private const char ZeroWidthSpace = '\u200B';

    /// <summary>Control characters (line breaks included) become spaces: a one-line field stays one line.</summary>
    public static string OneLine(string text)
    {
        if (!text.Any(char.IsControl)) return text;
        return string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c));
    }

    /// <summary>At most <paramref name="max"/> UTF-16 units, ending with an ellipsis when cut.</summary>
    public static string Cut(string text, int max)
    {
        if (text.Length <= max) return text;
        var info = new StringInfo(text);
        var sb = new StringBuilder(max);
        for (var i = 0; i < info.LengthInTextElements; i++)
        {
            var element = info.SubstringByTextElements(i, 1);
            if (sb.Length + element.Length > max - 1) break;
            sb.Append(element);
        }
        return sb.Append('…').ToString();
    }

    /// <summary>
    /// One line of raw text, escaped by <paramref name="escape"/>, in at most <paramref name="max"/> characters.
    /// Escaping may make text longer (&amp; is five), so the raw text is cut until the escaped text fits:
    /// cutting after escaping could split an escape in two.
    /// </summary>
    public static string Fit(string raw, Func<string, string> escape, int max)
    {
        var line = OneLine(raw);
        var keep = Math.Min(line.Length, max);
        while (true)
        {
            var escaped = escape(Cut(line, keep));
            if (escaped.Length <= max || keep <= 1) return escaped;
            // Shrink in proportion to the overshoot, by at least one character, never below one.
            keep = Math.Max(1, Math.Min(keep - 1, (int)((long)keep * max / escaped.Length)));
        }
    }

    /// <summary>
    /// A zero-width space after every @ and every "]" before "(": chat clients then see no @channel, @all or
    /// @here, and no Markdown link [text](url) that could dress a hostile URL up as something else.
    /// </summary>
    public static string NoMentions(string text) =>
        text.Replace("@", "@" + ZeroWidthSpace, StringComparison.Ordinal).Replace("](", "]" + ZeroWidthSpace + "(", StringComparison.Ordinal);

    /// <summary>
    /// Slack mrkdwn: &amp;, &lt; and &gt; are its only control characters (escaping them also disables &lt;!channel&gt;).
    /// Mattermost takes the same webhooks but renders Markdown links, which <see cref="NoMentions"/> breaks.
    /// </summary>
    public static string Slack(string text) =>
        NoMentions(text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal));

    /// <summary>Discord and Teams markdown: a backslash before every character that could format, link or quote.</summary>
    public static string Markdown(string text)
    {
        var sb = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (c is '\\' or '*' or '_' or '~' or '`' or '|' or '>' or '<' or '[' or ']' or '(' or ')' or '#' or '-' or '!') sb.Append('\\');
            sb.Append(c);
        }
        return NoMentions(sb.ToString());
    }

    /// <summary>Google Chat message text: &lt;users/all&gt; and &lt;url|text&gt; need angle brackets, so they become look-alikes.</summary>
    public static string GoogleChatText(string text) =>
        NoMentions(text.Replace('<', '‹').Replace('>', '›'));

    /// <summary>HTML, for e-mail.</summary>
    public static string Html(string text) => WebUtility.HtmlEncode(text);

    /// <summary>Google Chat card widgets: their small HTML subset, and no mentions.</summary>
    public static string ChatHtml(string text) => NoMentions(WebUtility.HtmlEncode(text));
}
