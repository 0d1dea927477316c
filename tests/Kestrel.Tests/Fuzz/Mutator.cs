using System.Text;

namespace Kestrel.Tests.Fuzz;

/// <summary>
/// Makes hostile inputs from real ones: bit flips, cut, repeated or spliced ranges, inserted syntax
/// bytes, huge numbers and lengths, deep nesting, invalid UTF-8 and surrogate escapes, or plain noise.
/// Seeded, so a failing case is reproduced from its seed and index alone.
/// </summary>
public sealed class Mutator(IReadOnlyList<byte[]> samples, int seed)
{
    private static readonly byte[][] Tokens =
    [
        "{"u8.ToArray(), "}"u8.ToArray(), "["u8.ToArray(), "]"u8.ToArray(), "\""u8.ToArray(), "\\"u8.ToArray(), "\n"u8.ToArray(),
        ","u8.ToArray(), ":"u8.ToArray(), "null"u8.ToArray(), "-1"u8.ToArray(), "1e999"u8.ToArray(), "99999999999999999999"u8.ToArray(),
        "\"length\":2147483647"u8.ToArray(), "\"length\":-5"u8.ToArray(), "\\ud800"u8.ToArray(), "\\u0000"u8.ToArray(), [0xC3, 0x28], [0xFF], [0],
        "{\"type\":\"event\"}\n"u8.ToArray(), "{\"type\":\"event\",\"length\":0}\n"u8.ToArray(), "\"values\":"u8.ToArray(), "\"frames\":"u8.ToArray(),
        "\"exception\":"u8.ToArray(), "\"stacktrace\":{\"frames\":[{}]}"u8.ToArray(), "\"timestamp\":-1e308"u8.ToArray(),
    ];

    private readonly Random random = new(seed);

    public byte[] Next()
    {
        if (random.Next(20) == 0) return Noise(random.Next(0, 2048));
        var input = new List<byte>(samples[random.Next(samples.Count)]);
        var rounds = 1 + random.Next(4);
        for (var i = 0; i < rounds; i++) Mutate(input);
        return [.. input];
    }

    private byte[] Noise(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private void Mutate(List<byte> input)
    {
        var at = input.Count == 0 ? 0 : random.Next(input.Count);
        switch (random.Next(9))
        {
            case 0 when input.Count > 0: input[at] ^= (byte)(1 << random.Next(8)); break;
            case 1: input.RemoveRange(at, Math.Min(input.Count - at, random.Next(1, 64))); break;
            case 2: input.RemoveRange(at, input.Count - at); break; // truncate
            case 3: input.InsertRange(at, Tokens[random.Next(Tokens.Length)]); break;
            case 4:
                var length = Math.Min(input.Count - at, random.Next(1, 256));
                var copy = input.GetRange(at, length);
                for (var n = random.Next(1, 20); n > 0; n--) input.InsertRange(at, copy);
                break;
            case 5:
                var depth = random.Next(50, 300);
                input.InsertRange(at, Encoding.ASCII.GetBytes(new string('[', depth) + new string(']', depth)));
                break;
            case 6:
                var other = samples[random.Next(samples.Count)];
                var from = random.Next(other.Length);
                input.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, random.Next(1, 512))).ToArray());
                break;
            case 7: input.InsertRange(at, Noise(random.Next(1, 16))); break;
            default: input.InsertRange(at, Encoding.UTF8.GetBytes(new string('x', random.Next(1000, 70_000)))); break;
        }
    }
}
