using System.Reflection;

namespace Kestrel.Platform;

/// <summary>Version and commit, stamped at build time (the commit comes from git; "unknown" outside a checkout).</summary>
public static class AppInfo
{
    private static readonly string Informational =
        typeof(AppInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static string Version => Informational.Split('+')[0];
    public static string Commit => Informational.Contains('+') ? Informational.Split('+')[1] : "unknown";
    public static readonly DateTimeOffset StartedAt = DateTimeOffset.UtcNow;
}
