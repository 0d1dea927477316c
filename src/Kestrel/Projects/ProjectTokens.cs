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
    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public static bool LooksLikeSecretToken(string value) => value.StartsWith(Prefix, StringComparison.Ordinal) && value.Length == Prefix.Length + 43;

    public static bool LooksLikePublicKey(string value) => value.Length == 32 && value.All(char.IsAsciiHexDigitLower);
}
