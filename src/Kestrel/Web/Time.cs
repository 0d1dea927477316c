using System.Globalization;

namespace Kestrel.Web;

/// <summary>Times as pages show them: relative for reading, exact UTC in the tooltip and the datetime attribute.</summary>
public static class Time
{
    public static DateTime Utc(long unixMs) => DateTime.UnixEpoch.AddMilliseconds(unixMs);

    public static string Exact(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Ago(DateTime utc, DateTimeOffset now)
    {
        var span = now.UtcDateTime - utc;
        if (span < TimeSpan.FromMinutes(1)) return "just now";
        if (span < TimeSpan.FromHours(1)) return $"{(int)span.TotalMinutes} min ago";
        if (span < TimeSpan.FromDays(1)) return $"{(int)span.TotalHours} h ago";
        if (span < TimeSpan.FromDays(60)) return $"{(int)span.TotalDays} d ago";
        return utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    public static string Count(long n) => n.ToString("#,0", CultureInfo.InvariantCulture);
}
