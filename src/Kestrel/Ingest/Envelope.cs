using System.Text.Json;

namespace Kestrel.Ingest;

/// <summary>One item of an envelope: its type and where its payload lies in the body.</summary>
public readonly record struct EnvelopeItem(string Type, int Offset, int Length);

/// <summary>
/// A Sentry envelope (reference §2.1): a header line of JSON, then items, each a header line and a
/// payload of <c>length</c> bytes, or, without <c>length</c>, the rest of the line. The final newline
/// is optional. Only offsets are kept, so parsing copies no payload.
/// </summary>
public sealed record Envelope(string? EventId, string? Dsn, IReadOnlyList<EnvelopeItem> Items)
{
    public const int MaxItems = 1000;
    public const int MaxHeaderBytes = 64 * 1024;
    private static readonly JsonDocumentOptions HeaderOptions = new() { MaxDepth = 16 };

    /// <summary>Parses the framing only; item payloads are checked by whoever reads them.</summary>
    /// <returns>the envelope, or null and one sentence saying what is wrong</returns>
    public static (Envelope? Envelope, string? Error) Parse(ReadOnlySpan<byte> body)
    {
        // A header string such as "\ud800" parses but cannot be read as text.
        try { return ParseFraming(body); }
        catch (InvalidOperationException) { return (null, "An envelope or item header holds a string that is not valid text."); }
    }

    private static (Envelope? Envelope, string? Error) ParseFraming(ReadOnlySpan<byte> body)
    {
        var position = 0;
        var headerLine = ReadLine(body, ref position);
        var (header, error) = ReadHeader(headerLine is { } first ? body[first] : []);
        if (header is null) return (null, error);
        var (eventId, dsn) = header.Value;

        var items = new List<EnvelopeItem>();
        while (position < body.Length)
        {
            var itemNumber = items.Count + 1;
            var line = ReadLine(body, ref position)!.Value;
            // Nothing but EOF may follow the final newline; blank lines there are forgiven.
            if (body[line].Trim(" \t\r"u8).IsEmpty)
            {
                if (body[position..].Trim(" \t\r\n"u8).IsEmpty) break;
                return (null, $"Item {itemNumber} has an empty header line.");
            }
            if (items.Count == MaxItems) return (null, $"The envelope holds more than {MaxItems} items.");
            if (ParseObject(body[line]) is not { } itemHeader) return (null, $"The header of item {itemNumber} is not a JSON object.");

            string? type;
            int? length = null;
            using (itemHeader)
            {
                var root = itemHeader.RootElement;
                type = EventReader.String(root, "type");
                if (root.TryGetProperty("length", out var lengthValue) && lengthValue.ValueKind != JsonValueKind.Null)
                {
                    if (lengthValue.ValueKind != JsonValueKind.Number || !lengthValue.TryGetInt32(out var n) || n < 0)
                        return (null, $"The length of item {itemNumber} is not a non-negative whole number.");
                    length = n;
                }
            }
            if (string.IsNullOrEmpty(type)) return (null, $"Item {itemNumber} has no type.");

            int offset = position, size;
            if (length is { } explicitLength)
            {
                if (explicitLength > body.Length - position)
                    return (null, $"Item {itemNumber} ({type}) says it is {explicitLength} bytes long, but the envelope ends {body.Length - position} bytes after its header.");
                size = explicitLength;
                position += size;
                if (position < body.Length)
                {
                    if (body[position] != (byte)'\n') return (null, $"Item {itemNumber} ({type}) is not followed by a newline after its {size} bytes.");
                    position++;
                }
            }
            else
            {
                var payload = ReadLine(body, ref position)!.Value;
                size = payload.End.Value - payload.Start.Value;
            }
            items.Add(new EnvelopeItem(type, offset, size));
        }
        return (new Envelope(eventId, dsn, items), null);
    }

    /// <summary>
    /// The envelope header (its first line, without the newline): its event ID and DSN. Read on its own,
    /// before the rest of the body, when the DSN is the envelope's only credential.
    /// </summary>
    public static ((string? EventId, string? Dsn)? Header, string? Error) ReadHeader(ReadOnlySpan<byte> line)
    {
        if (line.Trim(" \t\r"u8).IsEmpty) return (null, "The envelope is empty; it must start with a header line of JSON.");
        if (ParseObject(line) is not { } header) return (null, "The envelope header (its first line) is not a JSON object.");
        try
        {
            using (header)
                return ((EventReader.EventId(EventReader.String(header.RootElement, "event_id")), EventReader.String(header.RootElement, "dsn")), null);
        }
        catch (InvalidOperationException) { return (null, "An envelope or item header holds a string that is not valid text."); }
    }

    /// <summary>The envelope header's first line from what was read so far: up to the first newline, or all of it.</summary>
    public static ReadOnlySpan<byte> FirstLine(ReadOnlySpan<byte> body) => body.IndexOf((byte)'\n') is var n and >= 0 ? body[..n] : body;

    /// <summary>The range of the line at <paramref name="position"/> (without its LF), moving past the LF.</summary>
    private static Range? ReadLine(ReadOnlySpan<byte> body, ref int position)
    {
        if (position > body.Length) return null;
        var start = position;
        var newline = body[start..].IndexOf((byte)'\n');
        var end = newline < 0 ? body.Length : start + newline;
        position = newline < 0 ? body.Length : end + 1;
        return start..end;
    }

    private static JsonDocument? ParseObject(ReadOnlySpan<byte> line)
    {
        if (line.Length > MaxHeaderBytes || !System.Text.Unicode.Utf8.IsValid(line)) return null;
        try
        {
            var document = JsonDocument.Parse(line.ToArray(), HeaderOptions);
            if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
            document.Dispose();
            return null;
        }
        catch (JsonException) { return null; }
    }
}
