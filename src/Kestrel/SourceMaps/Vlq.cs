namespace Kestrel.SourceMaps;

/// <summary>
/// Base64 VLQ as source maps use it: 5 value bits per digit, least significant digit first, 0x20 says
/// another digit follows, and the lowest bit of the assembled number is the sign. Works on UTF-8 bytes
/// straight from the map file, so decoding a 10 MB <c>mappings</c> string allocates nothing.
/// </summary>
public static class Vlq
{
    // Digit value of each ASCII byte; -1 for bytes that are not Base64 digits.
    private static ReadOnlySpan<sbyte> Digits =>
    [
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
        52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
        -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
        15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
        -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
        41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
    ];

    /// <summary>Decodes one value starting at <paramref name="position"/> and moves past it.</summary>
    /// <exception cref="SourceMapException">a byte that is not a digit, a value cut short, or one beyond 32 bits</exception>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int Decode(ReadOnlySpan<byte> text, ref int position)
    {
        var digits = Digits;
        long result = 0;
        var shift = 0;
        while (true)
        {
            if ((uint)position >= (uint)text.Length) ThrowCutShort();
            var b = text[position];
            var digit = b < 128 ? digits[b] : -1;
            if (digit < 0) ThrowNotDigit(b, position);
            position++;
            result |= (long)(digit & 31) << shift;
            if ((digit & 32) == 0) break;
            shift += 5;
            if (shift > 30) ThrowTooLong(position);
        }
        if (result > uint.MaxValue) ThrowTooLong(position);
        var magnitude = result >> 1;
        return (int)((result & 1) == 0 ? magnitude : -magnitude);
    }

    // Throws live in their own methods so that Decode stays small enough to inline into the mappings loop.
    private static void ThrowCutShort() => throw new SourceMapException("mappings ends in the middle of a VLQ value.");

    private static void ThrowNotDigit(byte b, int position) =>
        throw new SourceMapException(
            $"mappings holds {(b is > 0x20 and < 0x7f ? $"'{(char)b}'" : $"byte 0x{b:X2}")} at offset {position}, which is not a Base64 VLQ digit.");

    private static void ThrowTooLong(int position) =>
        throw new SourceMapException($"mappings holds a VLQ value longer than 32 bits before offset {position}.");
}

/// <summary>A source map that cannot be used; the message says why in one sentence.</summary>
public sealed class SourceMapException(string message) : Exception(message);
