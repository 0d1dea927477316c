using System.Security.Cryptography;

namespace Kestrel.Platform;

/// <summary>
/// The one directory that holds everything: kestrel.db and the secret files. It is created 0700; secrets are created
/// with mode 0600 at creation time (never chmod-ed afterwards, so there is no window where they are readable).
/// </summary>
public sealed class DataDirectory(KestrelOptions options)
{
    public string Root { get; } = Path.GetFullPath(options.DataDirectory);
    public string AdminPasswordPath => Path.Combine(Root, ".admin_password");
    public string SessionSecretPath => Path.Combine(Root, ".session_secret");

    public void EnsureExists()
    {
        // A new directory is private (0700): events carry users' data. An existing one keeps its mode,
        // which the operator chose (a container volume, say).
        try
        {
            if (OperatingSystem.IsWindows() || Directory.Exists(Root)) Directory.CreateDirectory(Root);
            else Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"Data directory {Root} cannot be created: {e.Message}");
        }
    }

    /// <summary>Reads a secret file, creating it with <paramref name="generate"/> when missing.</summary>
    /// <returns>the secret, and whether it was generated now</returns>
    public static (string Value, bool Generated) ReadOrCreateSecret(string path, Func<string> generate)
    {
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length > 0) return (existing, false);
            File.Delete(path);
        }
        var value = generate();
        WriteNewSecret(path, value);
        return (value, true);
    }

    /// <summary>Writes a secret file anew (0600, written beside it, then renamed over it).</summary>
    public static void ReplaceSecret(string path, string value)
    {
        var next = path + ".new";
        File.Delete(next);
        WriteNewSecret(next, value);
        File.Move(next, path, overwrite: true);
    }

    private static void WriteNewSecret(string path, string value)
    {
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var writer = new StreamWriter(path, create);
        writer.Write(value + "\n");
    }

    /// <summary>URL-safe base64 of <paramref name="bytes"/> random bytes, without padding.</summary>
    public static string RandomUrlSafe(int bytes) =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
