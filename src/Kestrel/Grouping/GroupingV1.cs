using System.Buffers;
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
        var key = keyBuilder ??= new StringBuilder(1024);
        key.Clear().Append(Version).Append('\n');
        if (e.Fingerprint is { Count: > 0 } parts)
        {
            key.Append("fingerprint\n");
            for (var i = 0; i < parts.Count; i++)
            {
                if (i > 0) key.Append('\n');
                if (IsDefaultPlaceholder(parts[i])) AppendDefaultKey(key, e, main);
                else key.Append("part:").Append(parts[i]);
            }
        }
        else AppendDefaultKey(key, e, main);
        var hash = Hash(key);
        if (key.Capacity > 64 * 1024) keyBuilder = null;
        return new GroupingResult(hash, Version, Title(e, main), Type(e, main), Culprit(e, main));
    }

    // The key is built in one buffer per thread and hashed from a pooled one: no string for each frame and part.
    [ThreadStatic] private static StringBuilder? keyBuilder;

    /// <summary>SHA-256 of the key's UTF-8, as 64 lowercase hex digits.</summary>
    private static string Hash(StringBuilder key)
    {
        var chars = ArrayPool<char>.Shared.Rent(key.Length);
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(key.Length));
        try
        {
            key.CopyTo(0, chars, 0, key.Length);
            var length = Encoding.UTF8.GetBytes(chars.AsSpan(0, key.Length), bytes);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(bytes.AsSpan(0, length), hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>The key without a client fingerprint (what <c>{{ default }}</c> stands for).</summary>
    public static void AppendDefaultKey(StringBuilder key, NormalisedEvent e, ExceptionValue? main)
    {
        // A message captured with a stack (JS captureMessage adds a synthetic exception) is grouped by
        // its message, like the same call from .NET, which sends no stack: two messages logged through
        // one helper function are different problems, one message from two places is the same one.
        if (main is not null && !(main.Synthetic && (e.MessageTemplate ?? e.Message) is not null))
        {
            var type = main.Synthetic ? "" : main.Type ?? "Error";
            var inApp = 0;
            for (var i = 0; i < main.Frames.Count; i++)
            {
                var f = main.Frames[i];
                if (f.InApp != true) continue;
                if (inApp++ == 0) key.Append("stack\n").Append(type).Append('\n');
                else key.Append('\n');
                key.Append(FrameNormaliser.File(f.File)).Append(" | ").Append(FrameNormaliser.Function(f.Function));
            }
            if (inApp > 0) return;
            key.Append("exception\n").Append(type).Append('\n').Append(TextNormaliser.Normalise(TextNormaliser.FirstLine(main.Value ?? "")));
            return;
        }
        key.Append("message\n").Append(TextNormaliser.Normalise(TextNormaliser.FirstLine(e.MessageTemplate ?? e.Message ?? "")));
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
            var file = frame.File;
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
