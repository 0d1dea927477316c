using System.Text;

namespace Kestrel.SourceMaps;

/// <summary>
/// Turns a release name, which may hold <c>/</c>, <c>..</c>, spaces or any Unicode, into one directory
/// name that is safe on every filesystem and decodes back to the same name. ASCII letters, digits and
/// <c>- _ . @ +</c> stay as they are (so <c>app@1.2.3</c> is readable on disk); every other UTF-8 byte,
/// and a leading dot, becomes <c>~XX</c> (uppercase hex). <see cref="NoRelease"/> cannot be the encoding
/// of any name, since an encoding's <c>~</c> is always followed by two hex digits.
/// </summary>
public static class ReleaseNames
{
    public const int MaxLength = 200;                // characters, as Sentry allows
    public const int MaxEncodedBytes = 255;          // one directory name on common filesystems
    public const string NoRelease = "~none";         // artifact bundles uploaded without a release

    /// <returns>the directory name, or null with <paramref name="error"/> saying why the name cannot be stored</returns>
    public static string? TryEncode(string name, out string? error)
    {
        error = null;
        if (name.Length == 0) { error = "A release name must not be empty."; return null; }
        if (name.Length > MaxLength) { error = $"A release name must be at most {MaxLength} characters."; return null; }
        byte[] bytes;
        try { bytes = new UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(name); }
        catch (EncoderFallbackException) { error = "A release name must be valid Unicode text."; return null; }

        var encoded = new StringBuilder(bytes.Length + 8);
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            if (IsKept(b) && !(i == 0 && b == (byte)'.')) encoded.Append((char)b);
            else encoded.Append('~').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        if (encoded.Length > MaxEncodedBytes)
        {
            error = $"The release name is too long to store: it takes {encoded.Length} characters on disk, at most {MaxEncodedBytes} fit in one directory name (characters other than ASCII letters, digits and - _ . @ + take 3 to 12).";
            return null;
        }
        return encoded.ToString();
    }

    public static string Encode(string name) => TryEncode(name, out var error) ?? throw new ArgumentException(error, nameof(name));

    /// <returns>the release name, or null when <paramref name="directory"/> is not an encoding (e.g. <see cref="NoRelease"/>)</returns>
    public static string? Decode(string directory)
    {
        if (directory.Length == 0 || directory[0] == '.') return null;
        var bytes = new List<byte>(directory.Length);
        for (var i = 0; i < directory.Length; i++)
        {
            var c = directory[i];
            if (c == '~')
            {
                if (i + 2 >= directory.Length || !IsUpperHex(directory[i + 1]) || !IsUpperHex(directory[i + 2])) return null;
                bytes.Add(Convert.ToByte(directory.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (c < 128 && IsKept((byte)c)) bytes.Add((byte)c);
            else return null;
        }
        string name;
        try { name = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray()); }
        catch (DecoderFallbackException) { return null; }
        // Only the one canonical spelling decodes ("~41" is not "A"), so names and directories pair one to one.
        return TryEncode(name, out _) == directory ? name : null;
    }

    private static bool IsKept(byte b) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
            or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'@' or (byte)'+';

    private static bool IsUpperHex(char c) => c is >= '0' and <= '9' or >= 'A' and <= 'F';
}
