using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Kestrel.Platform;

namespace Kestrel.Projects;

/// <summary>Secret project tokens (<c>kst_</c> + 43 URL-safe characters, 256 random bits) and public keys.</summary>
public static class ProjectTokens
{
    public const string Prefix = "kst_";

    public static string NewSecretToken() => Prefix + DataDirectory.RandomUrlSafe(32);

    /// <summary>32 lowercase hex characters: the key in the project's DSN, safe to embed in browser code.</summary>
    public static string NewPublicKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Only this hash is stored. Looking tokens up by hash leaks nothing about other tokens' bytes.</summary>
    public static byte[] Hash(ReadOnlySpan<char> token)
    {
        // Every authenticated request hashes its token: its UTF-8 on the stack, not in an array of its own.
        Span<byte> utf8 = token.Length <= 128 ? stackalloc byte[3 * 128] : new byte[Encoding.UTF8.GetMaxByteCount(token.Length)];
        return SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(token, utf8)]);
    }

    public static bool LooksLikeSecretToken(ReadOnlySpan<char> value) => value.StartsWith(Prefix, StringComparison.Ordinal) && value.Length == Prefix.Length + 43;

    public static bool LooksLikePublicKey(ReadOnlySpan<char> value) => value.Length == 32 && !value.ContainsAnyExcept(LowercaseHex);

    private static readonly SearchValues<char> LowercaseHex = SearchValues.Create("0123456789abcdef");
}
