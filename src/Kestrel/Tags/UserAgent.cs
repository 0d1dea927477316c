using System.Text.RegularExpressions;

namespace Kestrel.Tags;

/// <summary>
/// The browser and operating system named by a <c>User-Agent</c> header, for events whose SDK sent no
/// <c>contexts.browser</c> / <c>contexts.os</c> (server SDKs report the request's header only). A small
/// parser of the tokens today's browsers send, not a device database: what it does not recognise it
/// leaves out rather than guessing. Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
/// </summary>
public static partial class UserAgent
{
    public sealed record Parsed(string? BrowserName, string? BrowserVersion, string? OsName, string? OsVersion);

    private static readonly (string Name, Regex Pattern)[] Browsers =
    [
        ("Edge", EdgeToken()),
        ("Opera", OperaToken()),
        ("Samsung Internet", SamsungToken()),
        ("Firefox", FirefoxToken()),
        ("Chrome", ChromeToken()),
        ("Mobile Safari", MobileSafariToken()),
        ("Safari", SafariToken()),
        ("IE", InternetExplorerToken()),
    ];

    public static Parsed Parse(string? header)
    {
        if (string.IsNullOrWhiteSpace(header) || header.Length > 1024) return new(null, null, null, null);
        string? browser = null, version = null;
        foreach (var (name, pattern) in Browsers)
        {
            var match = pattern.Match(header);
            if (!match.Success) continue;
            browser = name;
            version = match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value;
            break;
        }
        var (os, osVersion) = OperatingSystem(header);
        return new(browser, version, os, osVersion);
    }

    private static (string?, string?) OperatingSystem(string header)
    {
        if (IosToken().Match(header) is { Success: true } ios) return ("iOS", ios.Groups[1].Value.Replace('_', '.'));
        if (AndroidToken().Match(header) is { Success: true } android) return ("Android", android.Groups[1].Value);
        if (WindowsToken().Match(header) is { Success: true } windows) return ("Windows", WindowsVersion(windows.Groups[1].Value));
        if (MacToken().Match(header) is { Success: true } mac) return ("Mac OS X", mac.Groups[1].Value.Replace('_', '.'));
        if (header.Contains("CrOS", StringComparison.Ordinal)) return ("Chrome OS", null);
        if (header.Contains("Linux", StringComparison.Ordinal)) return ("Linux", null);
        return (null, null);
    }

    // Windows NT 10.0 is also Windows 11: the header no longer tells them apart.
    private static string? WindowsVersion(string nt) => nt switch
    {
        "10.0" => "10",
        "6.3" => "8.1",
        "6.2" => "8",
        "6.1" => "7",
        _ => null,
    };

    [GeneratedRegex(@"\bEdg(?:e|A|iOS)?/(\d+)")] private static partial Regex EdgeToken();
    [GeneratedRegex(@"\b(?:OPR|Opera)/(\d+)")] private static partial Regex OperaToken();
    [GeneratedRegex(@"\bSamsungBrowser/(\d+)")] private static partial Regex SamsungToken();
    [GeneratedRegex(@"\b(?:Firefox|FxiOS)/(\d+)")] private static partial Regex FirefoxToken();
    [GeneratedRegex(@"\b(?:Chrome|CriOS)/(\d+)")] private static partial Regex ChromeToken();
    [GeneratedRegex(@"\bVersion/(\d+)[\d.]* Mobile/\S+ Safari/")] private static partial Regex MobileSafariToken();
    [GeneratedRegex(@"\bVersion/(\d+)[\d.]* Safari/")] private static partial Regex SafariToken();
    [GeneratedRegex(@"(?:\bMSIE (\d+)|\bTrident/.*\brv:(\d+))")] private static partial Regex InternetExplorerToken();
    [GeneratedRegex(@"\b(?:iPhone|iPad|iPod).*?\bOS (\d+(?:_\d+)*)")] private static partial Regex IosToken();
    [GeneratedRegex(@"\bAndroid (\d+(?:\.\d+)?)")] private static partial Regex AndroidToken();
    [GeneratedRegex(@"\bWindows NT (\d+\.\d+)")] private static partial Regex WindowsToken();
    [GeneratedRegex(@"\bMac OS X (\d+(?:[_.]\d+)*)")] private static partial Regex MacToken();
}
