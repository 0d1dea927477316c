using System.Security.Cryptography;
using System.Text;
using Kestrel.Ingest;

namespace Kestrel.Grouping;

/// <summary>What grouping decides about an event: its issue's fingerprint and how the issue is described.</summary>
public sealed record GroupingResult(string Fingerprint, string GroupingVersion, string Title, string Type, string Culprit);

/// <summary>
/// Grouping algorithm v1, a pure function. Precedence: the client's <c>fingerprint</c> (with
/// <c>{{ default }}</c> expanded), else the main exception's type plus its in-app frames (normalised file
/// and function, no line numbers), else type plus normalised value, else the normalised message.
/// Never change what this returns for an input: write v2 beside it (issues store their version).
/// </summary>
public static class GroupingV1
{
    public const string Version = "v1";
    private const int MaxTitle = 200;

    public static GroupingResult Group(NormalisedEvent e)
    {
        var main = e.Exceptions.Count > 0 ? e.Exceptions[^1] : null;
        var defaultKey = DefaultKey(e, main);
        var key = e.Fingerprint is { Count: > 0 } parts
            ? "fingerprint\n" + string.Join("\n", parts.Select(p => IsDefaultPlaceholder(p) ? defaultKey : "part:" + p))
            : defaultKey;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Version + "\n" + key)));
        return new GroupingResult(hash, Version, Title(e, main), Type(e, main), Culprit(e, main));
    }

    public static string DefaultKey(NormalisedEvent e, ExceptionValue? main)
    {
        // A message captured with a stack (JS captureMessage adds a synthetic exception) is grouped by
        // its message, like the same call from .NET, which sends no stack: two messages logged through
        // one helper function are different problems, one message from two places is the same one.
        if (main is not null && !(main.Synthetic && (e.MessageTemplate ?? e.Message) is not null))
        {
            var type = main.Synthetic ? "" : main.Type ?? "Error";
            var inApp = main.Frames.Where(f => f.InApp == true).ToList();
            if (inApp.Count > 0)
                return "stack\n" + type + "\n" + string.Join("\n", inApp.Select(f =>
                    FrameNormaliser.File(f.Filename ?? f.AbsPath ?? f.Module) + " | " + FrameNormaliser.Function(f.Function)));
            return "exception\n" + type + "\n" + TextNormaliser.Normalise(TextNormaliser.FirstLine(main.Value ?? ""));
        }
        return "message\n" + TextNormaliser.Normalise(TextNormaliser.FirstLine(e.MessageTemplate ?? e.Message ?? ""));
    }

    private static bool IsDefaultPlaceholder(string part) =>
        part.Replace(" ", "", StringComparison.Ordinal).Equals("{{default}}", StringComparison.OrdinalIgnoreCase);

    private static string Title(NormalisedEvent e, ExceptionValue? main)
    {
        string title;
        if (main is null) title = FirstLineOr(e.Message, "<no message>");
        else if (main.Synthetic) title = FirstLineOr(main.Value ?? e.Message, "<no message>");
        else
        {
            var value = TextNormaliser.FirstLine(main.Value ?? "");
            title = value.Length == 0 ? main.Type ?? "Error" : $"{main.Type ?? "Error"}: {value}";
        }
        return EventNormaliser.Truncate(title, MaxTitle);
    }

    private static string FirstLineOr(string? text, string fallback)
    {
        var line = text is null ? "" : TextNormaliser.FirstLine(text);
        return line.Length == 0 ? fallback : line;
    }

    private static string Type(NormalisedEvent e, ExceptionValue? main) =>
        main is null || main.Synthetic ? (e.Message is null ? "Error" : "Message") : EventNormaliser.Truncate(main.Type ?? "Error", 128);

    /// <summary>Where it happened: the innermost in-app frame, else the innermost frame, else the transaction.</summary>
    private static string Culprit(NormalisedEvent e, ExceptionValue? main)
    {
        var frame = main?.Frames.LastOrDefault(f => f.InApp == true) ?? main?.Frames.LastOrDefault();
        string culprit;
        if (frame is null) culprit = e.Transaction ?? "";
        else
        {
            var file = frame.Filename ?? frame.AbsPath ?? frame.Module;
            if (file is not null) file = FrameNormaliser.Readable(file);
            // JavaScript names code outside any function "?" or "<anonymous>": say only where it is.
            var function = frame.Function is "?" or "<anonymous>" ? null : frame.Function;
            culprit = (file, function) switch
            {
                (not null, not null) => $"{file} in {function}",
                (not null, null) => file,
                (null, not null) => function,
                _ => e.Transaction ?? "",
            };
        }
        return EventNormaliser.Truncate(culprit, MaxTitle);
    }
}
