using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Kestrel.Ingest;

/// <summary>
/// The short texts ingest reads out of events (tag keys and values, exception types, in-app functions and files), made
/// into strings once and reused while they keep coming: a storm repeats the same few hundred of them in every
/// event, and a new string for each was about a fifth of what the server allocated per event.
/// </summary>
/// <remarks>
/// One slot per hash, no chains: a text that meets another in its slot replaces it, so a hostile stream of distinct
/// texts costs what it cost without the cache (a string each) and can make no slot slower to find. The hash is seeded per
/// process. One table for all threads, not one each: a thread per slot array held about 150 KB each once full, several MB
/// across a busy thread pool (peak RSS rose by 7 MB). Threads read and write slots without a lock: a slot holds an
/// immutable string, read and replaced whole, and every hit is checked against the bytes, so a race costs at most a
/// string. At most <see cref="Slots"/> strings of at most <see cref="MaxBytes"/> characters are kept.
/// </remarks>
public static class RepeatedStrings
{
    public const int Slots = 4096;
    public const int MaxBytes = 64;

    private static readonly string?[] slots = new string?[Slots];

    /// <summary>The text of a JSON string, as <see cref="JsonElement.GetString"/> reads it.</summary>
    public static string Of(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        // The raw value keeps its quotes; a text with an escape is read by the parser.
        return raw.Length - 2 > MaxBytes || raw.Length < 2 || raw.IndexOf((byte)'\\') >= 0 ? value.GetString()! : Of(raw[1..^1]);
    }

    /// <summary>A property's name, as <see cref="JsonProperty.Name"/> reads it.</summary>
    public static string NameOf(JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        return raw.Length > MaxBytes || raw.IndexOf((byte)'\\') >= 0 ? property.Name : Of(raw);
    }

    /// <summary>
    /// The string of UTF-8 text without escapes (valid: the parser has checked it), at most <see cref="MaxBytes"/> bytes.
    /// Only ASCII texts are kept, so that a slot's string is compared with the bytes as they are, and a miss costs the
    /// string alone.
    /// </summary>
    private static string Of(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 0) return "";
        if (!Ascii.IsValid(utf8)) return Encoding.UTF8.GetString(utf8);
        var hash = new HashCode();
        hash.AddBytes(utf8);
        ref var slot = ref slots[(uint)hash.ToHashCode() % Slots];
        if (Volatile.Read(ref slot) is { } known && Ascii.Equals(utf8, known)) return known;
        var text = Encoding.ASCII.GetString(utf8);
        Volatile.Write(ref slot, text);
        return text;
    }
}
