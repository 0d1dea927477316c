using System.Globalization;

namespace Kestrel.Issues;

/// <summary>A release name with the position at which Kestrel first saw it in its project (smaller is earlier).</summary>
/// <param name="Seen">the release's row id in <c>releases</c>; <see cref="long.MaxValue"/> for one never seen before (it is the newest)</param>
public readonly record struct SeenRelease(string Name, long Seen);

/// <summary>
/// Which of two releases is newer (PRODUCT §15). When both names are semantic versions they are compared
/// as such: a <c>package@</c> prefix and <c>+build</c> metadata are ignored, missing components count as 0
/// (<c>2.4</c> is <c>2.4.0</c>), and a pre-release is older than its release (<c>2.0.0-rc.1</c> &lt; <c>2.0.0</c>).
/// Otherwise (a commit SHA, a date, any other name) the release Kestrel saw first is the older one.
/// Names that compare as equal versions (<c>1.0.0+a</c> and <c>1.0.0+b</c>) are neither newer nor older.
/// </summary>
public static class VersionOrder
{
    /// <summary>True when <paramref name="release"/> is strictly newer than <paramref name="than"/>.</summary>
    public static bool IsNewer(SeenRelease release, SeenRelease than) => Compare(release, than) > 0;

    /// <returns>negative when <paramref name="a"/> is older, 0 when they are the same version, positive when newer</returns>
    public static int Compare(SeenRelease a, SeenRelease b)
    {
        if (string.Equals(a.Name, b.Name, StringComparison.Ordinal)) return 0;
        if (Parse(a.Name) is { } va && Parse(b.Name) is { } vb) return CompareVersions(va, vb);
        return a.Seen.CompareTo(b.Seen);
    }

    /// <summary>The newest of <paramref name="releases"/>, or null when there are none.</summary>
    public static SeenRelease? Newest(IEnumerable<SeenRelease> releases)
    {
        SeenRelease? newest = null;
        foreach (var release in releases)
            if (newest is not { } current || IsNewer(release, current)) newest = release;
        return newest;
    }

    /// <summary>A parsed semantic version: up to four numeric components and the pre-release identifiers.</summary>
    public sealed record Version(long[] Numbers, string[] PreRelease);

    /// <returns>the version, or null when the name is not a semantic version (then first-seen order decides)</returns>
    public static Version? Parse(string name)
    {
        var text = name.Trim();
        var at = text.LastIndexOf('@');
        if (at >= 0) text = text[(at + 1)..];                 // "my-app@2.4.1", "@scope/pkg@2.4.1"
        var plus = text.IndexOf('+');
        if (plus >= 0) text = text[..plus];                   // build metadata never orders versions
        if (text.Length > 1 && text[0] is 'v' or 'V' && char.IsAsciiDigit(text[1])) text = text[1..];
        var dash = text.IndexOf('-');
        var core = dash < 0 ? text : text[..dash];
        var parts = core.Split('.');
        if (parts.Length is < 1 or > 4) return null;
        var numbers = new long[4];
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length is 0 or > 18 || !parts[i].All(char.IsAsciiDigit)) return null;
            numbers[i] = long.Parse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture);
        }
        var pre = dash < 0 ? [] : text[(dash + 1)..].Split('.');
        if (pre.Any(p => p.Length == 0 || !p.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))) return null;
        return new Version(numbers, pre);
    }

    private static int CompareVersions(Version a, Version b)
    {
        for (var i = 0; i < 4; i++)
            if (a.Numbers[i] != b.Numbers[i]) return a.Numbers[i].CompareTo(b.Numbers[i]);
        // Semantic Versioning §11: a pre-release is older than the release; identifiers compare one by one,
        // numbers numerically and below words, and a longer list is newer when all before are equal.
        if (a.PreRelease.Length == 0 || b.PreRelease.Length == 0) return b.PreRelease.Length.CompareTo(a.PreRelease.Length);
        for (var i = 0; i < Math.Min(a.PreRelease.Length, b.PreRelease.Length); i++)
        {
            var (x, y) = (a.PreRelease[i], b.PreRelease[i]);
            var (xNumber, yNumber) = (x.All(char.IsAsciiDigit), y.All(char.IsAsciiDigit));
            var order = (xNumber, yNumber) switch
            {
                (true, true) => CompareDigits(x, y),
                (true, false) => -1,
                (false, true) => 1,
                _ => string.CompareOrdinal(x, y),
            };
            if (order != 0) return Math.Sign(order);
        }
        return a.PreRelease.Length.CompareTo(b.PreRelease.Length);
    }

    /// <summary>Digit strings of any length compared as numbers, without overflow.</summary>
    private static int CompareDigits(string x, string y)
    {
        x = x.TrimStart('0');
        y = y.TrimStart('0');
        return x.Length != y.Length ? x.Length.CompareTo(y.Length) : string.CompareOrdinal(x, y);
    }
}
