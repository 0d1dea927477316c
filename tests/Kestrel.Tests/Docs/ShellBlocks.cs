using System.Text;
using System.Text.RegularExpressions;

namespace Kestrel.Tests.Docs;

/// <summary>A command from a ```sh block of the docs, with the output shown under it (its "# ..." lines), if any.</summary>
public sealed record DocCommand(string Text, string? Output);

/// <summary>Reads the shell commands of a Markdown section the way a reader copies them: whole commands, continuation lines and here-documents included.</summary>
public static partial class ShellBlocks
{
    /// <summary>The commands of every ```sh block under the heading <paramref name="heading"/>, up to the next heading.</summary>
    public static List<DocCommand> Commands(string markdownPath, string heading)
    {
        var text = File.ReadAllText(markdownPath);
        var start = text.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"{markdownPath} has no heading '{heading}'");
        var lines = text[(start + heading.Length + 2)..].Split('\n');
        var fenced = false;
        var end = Array.FindIndex(lines, line =>
        {
            if (line.StartsWith("```", StringComparison.Ordinal)) fenced = !fenced;
            return !fenced && Regex.IsMatch(line, "^#{1,6} "); // a "# comment" inside a block is no heading
        });
        var section = string.Join('\n', end < 0 ? lines : lines[..end]);
        return Blocks().Matches(section).SelectMany(m => Split(m.Groups[1].Value.Split('\n'))).ToList();
    }

    private static IEnumerable<DocCommand> Split(string[] lines)
    {
        for (var i = 0; i < lines.Length;)
        {
            if (lines[i].Trim().Length == 0 || lines[i].TrimStart().StartsWith('#')) { i++; continue; }
            var command = new StringBuilder(lines[i]);
            while (i + 1 < lines.Length && (lines[i].EndsWith('\\') || QuoteOpen(command.ToString()))) command.Append('\n').Append(lines[++i]);
            if (HereDocument().Match(command.ToString()) is { Success: true } here)
                while (i + 1 < lines.Length) { command.Append('\n').Append(lines[++i]); if (lines[i] == here.Groups[1].Value) break; }
            i++;
            var output = new List<string>();
            for (; i < lines.Length && OutputLine().Match(lines[i]) is { Success: true } shown; i++) output.Add(shown.Groups[1].Value);
            yield return new DocCommand(command.ToString(), output.Count == 0 ? null : string.Join("\n", output));
        }
    }

    /// <summary>Whether a quote opened in <paramref name="text"/> is still open at its end (a multi-line argument).</summary>
    private static bool QuoteOpen(string text)
    {
        char? open = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (open is null && c == '#' && (i == 0 || char.IsWhiteSpace(text[i - 1])))
            {
                i = text.IndexOf('\n', i); // a comment to the end of its line
                if (i < 0) break;
            }
            else if (open is null && (c == '\'' || c == '"')) open = c;
            else if (open == c) open = null;
        }
        return open is not null;
    }

    /// <summary>
    /// Whether <paramref name="actual"/> is what the docs show: "..." stands for anything on one line, a hex run before
    /// "..." for any hex, a 32-digit key for any key, and whitespace (line breaks included) for any whitespace.
    /// </summary>
    public static bool Matches(string shown, string actual)
    {
        var pattern = new StringBuilder("^");
        foreach (Match token in ShownToken().Matches(shown.Trim()))
        {
            if (token.Groups["hexdots"].Success) pattern.Append("[0-9a-f]*[^\\n]*?");
            else if (token.Groups["dots"].Success) pattern.Append("[^\\n]*?");
            else if (token.Groups["key"].Success) pattern.Append("[0-9a-f]{32}");
            else if (token.Groups["space"].Success) pattern.Append("\\s*");
            else pattern.Append(Regex.Escape(token.Value));
        }
        return Regex.IsMatch(actual.Trim(), pattern.Append('$').ToString());
    }

    [GeneratedRegex(@"(?ms)^```sh\n(.*?)^```")]
    private static partial Regex Blocks();

    [GeneratedRegex(@"<<-?'?(\w+)'?")]
    private static partial Regex HereDocument();

    /// <summary>Output under a command: "# {...", "# [..." or indented "#   text"; not a prose comment such as "# or ...".</summary>
    [GeneratedRegex(@"^# ((?:[{\[]|  ).*)$")]
    private static partial Regex OutputLine();

    [GeneratedRegex(@"(?<hexdots>[0-9a-f]+\.\.\.)|(?<dots>\.\.\.)|(?<key>\b[0-9a-f]{32}\b)|(?<space>\s+)|.")]
    private static partial Regex ShownToken();
}
