using System.Collections;
using System.Globalization;
using System.Net;
using Tomlyn;
using Tomlyn.Model;

namespace Kestrel.Platform;

/// <summary>A bad setting: the message is one sentence that names it.</summary>
public sealed class ConfigurationException(string message) : Exception(message);

/// <summary>
/// Builds <see cref="KestrelOptions"/> from defaults, then the TOML file, then environment variables.
/// Each setting has a dotted file key (<c>metrics.token</c> is <c>[metrics] token</c>) and an env var.
/// </summary>
public static class SettingsLoader
{
    private sealed record Setting(string FileKey, string EnvVar, Action<KestrelOptions, string, string> Apply);

    private static readonly Setting[] Settings =
    [
        new("data", "KESTREL_DATA", (o, v, n) => o.DataDirectory = NonEmpty(v, n)),
        new("database.url", "KESTREL_DATABASE_URL", (o, v, n) => o.DatabaseUrl = PostgresUrl.Validate(v, n)),
        new("listen", "KESTREL_LISTEN", (o, v, n) => o.Listen = ParseListen(v, n).Text),
        new("public_url", "KESTREL_PUBLIC_URL", (o, v, n) => o.PublicUrl = ParsePublicUrl(v, n)),
        new("trusted_proxies", "KESTREL_TRUSTED_PROXIES", (o, v, n) => o.TrustedProxies = ParseNetworks(v, n)),
        new("admin_password", "KESTREL_ADMIN_PASSWORD", (o, v, n) => o.AdminPassword = NonEmpty(v, n)),
        new("metrics.token", "KESTREL_METRICS_TOKEN", (o, v, n) => o.MetricsToken = ParseMetricsToken(v, n)),
        new("retention.days", "KESTREL_RETENTION_DAYS", (o, v, n) => o.RetentionDays = ParseInt(v, n, 1, 36_500)),
        new("retention.max_events_per_issue", "KESTREL_RETENTION_MAX_EVENTS_PER_ISSUE", (o, v, n) => o.RetentionMaxEventsPerIssue = ParseInt(v, n, 0, int.MaxValue)),
        new("retention.interval_seconds", "KESTREL_RETENTION_INTERVAL_SECONDS", (o, v, n) => o.RetentionIntervalSeconds = ParseInt(v, n, 1, 86_400)),
        new("disk.min_free_mb", "KESTREL_DISK_MIN_FREE_MB", (o, v, n) => o.DiskMinFreeMb = ParseInt(v, n, 0, int.MaxValue)),
        new("rate_limit.per_minute", "KESTREL_RATE_LIMIT_PER_MINUTE", (o, v, n) => o.RateLimitPerMinute = ParseInt(v, n, 0, int.MaxValue)),
        new("writer.max_batch", "KESTREL_WRITER_MAX_BATCH", (o, v, n) => o.WriterMaxBatch = ParseInt(v, n, 1, 10_000)),
        new("writer.queue_capacity", "KESTREL_WRITER_QUEUE_CAPACITY", (o, v, n) => o.WriterQueueCapacity = ParseInt(v, n, 1, 1_000_000)),
        new("writer.queue_mb", "KESTREL_WRITER_QUEUE_MB", (o, v, n) => o.WriterQueueMb = ParseInt(v, n, 1, 4096)),
        new("ingest.body_timeout_seconds", "KESTREL_INGEST_BODY_TIMEOUT_SECONDS", (o, v, n) => o.IngestBodyTimeoutSeconds = ParseInt(v, n, 1, 3600)),
        new("ingest.max_requests_per_client", "KESTREL_INGEST_MAX_REQUESTS_PER_CLIENT", (o, v, n) => o.IngestMaxRequestsPerClient = ParseInt(v, n, 0, 1_000_000)),
        new("ingest.max_body_mb_per_client", "KESTREL_INGEST_MAX_BODY_MB_PER_CLIENT", (o, v, n) => o.IngestMaxBodyMbPerClient = ParseInt(v, n, 0, 160)),
        new("releases.max_new_per_hour", "KESTREL_RELEASES_MAX_NEW_PER_HOUR", (o, v, n) => o.ReleasesMaxNewPerHour = ParseInt(v, n, 0, 1_000_000)),
        new("sourcemaps.cache_mb", "KESTREL_SOURCEMAPS_CACHE_MB", (o, v, n) => o.SourceMapCacheMegabytes = ParseInt(v, n, 1, 65_536)),
        new("smtp.url", "KESTREL_SMTP_URL", (o, v, n) => o.SmtpUrl = Alerts.SmtpSettings.Parse(v, n).Url),
        new("smtp.from", "KESTREL_SMTP_FROM", (o, v, n) => o.SmtpFrom = Alerts.SmtpSettings.ParseFrom(v, n)),
        new("alerts.emails_per_hour", "KESTREL_ALERTS_EMAILS_PER_HOUR", (o, v, n) => o.AlertsEmailsPerHour = ParseInt(v, n, 0, 100_000)),
        new("alerts.allow_private_targets", "KESTREL_ALERTS_ALLOW_PRIVATE_TARGETS", (o, v, n) => o.AlertsAllowPrivateTargets = ParseBool(v, n)),
        new("alerts.retry_base_seconds", "KESTREL_ALERTS_RETRY_BASE_SECONDS", (o, v, n) => o.AlertsRetryBaseSeconds = ParseSeconds(v, n, 0.01, 3600)),
    ];

    public static IEnumerable<(string FileKey, string EnvVar)> Names => Settings.Select(s => (s.FileKey, s.EnvVar));

    /// <summary>KESTREL_* variables that are not settings but are read by a command (<c>kestrel mcp</c>'s token).</summary>
    private static readonly string[] OtherVariables = ["KESTREL_TOKEN"];

    /// <summary>
    /// The KESTREL_* variables in <paramref name="environment"/> that nothing reads, each with the known name it is
    /// closest to (a likely typo), if any. Known names come from the settings table, so a new setting is known at once.
    /// </summary>
    public static IEnumerable<(string Name, string? Suggestion)> UnknownVariables(IDictionary environment)
    {
        var known = Settings.Select(s => s.EnvVar).Concat(OtherVariables).ToList();
        foreach (var name in environment.Keys.OfType<string>().Where(k => k.StartsWith("KESTREL_", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            if (known.Contains(name)) continue;
            var closest = known.MinBy(k => EditDistance(k, name))!;
            yield return (name, EditDistance(closest, name) <= 3 ? closest : null);
        }
    }

    private static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }

    /// <param name="configPath">from --config; null means $KESTREL_DATA/kestrel.toml if it exists.</param>
    public static KestrelOptions Load(string? configPath, IDictionary environment)
    {
        var options = new KestrelOptions();
        string? Env(string name) => environment[name] as string;

        // The data directory decides where the default config file is, so it is settled first.
        var dataFromEnv = Env("KESTREL_DATA");
        if (dataFromEnv is not null) options.DataDirectory = NonEmpty(dataFromEnv, "KESTREL_DATA");

        var path = configPath ?? Path.Combine(options.DataDirectory, "kestrel.toml");
        if (configPath is not null && !File.Exists(configPath))
            throw new ConfigurationException($"Configuration file {configPath} does not exist.");
        if (File.Exists(path)) ApplyFile(options, path);

        foreach (var setting in Settings)
        {
            var value = Env(setting.EnvVar);
            if (value is not null) setting.Apply(options, value, setting.EnvVar);
        }
        return options;
    }

    private static void ApplyFile(KestrelOptions options, string path)
    {
        TomlTable table;
        try { table = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(path)) ?? new TomlTable(); }
        catch (TomlException e) { throw new ConfigurationException($"Configuration file {path} is not valid TOML: {FirstLine(e.Message)}"); }
        catch (IOException e) { throw new ConfigurationException($"Configuration file {path} cannot be read: {e.Message}"); }

        var known = Settings.ToDictionary(s => s.FileKey);
        foreach (var (key, value) in Flatten(table, ""))
        {
            if (!known.TryGetValue(key, out var setting))
                throw new ConfigurationException($"Setting '{key}' in {path} is not a Kestrel setting.");
            var text = value switch
            {
                string s => s,
                long or double or bool => Convert.ToString(value, CultureInfo.InvariantCulture)!,
                _ => throw new ConfigurationException($"Setting '{key}' in {path} must be a string or a number."),
            };
            setting.Apply(options, text, key);
        }
    }

    private static IEnumerable<(string Key, object? Value)> Flatten(TomlTable table, string prefix)
    {
        foreach (var (key, value) in table)
        {
            if (value is TomlTable inner)
                foreach (var pair in Flatten(inner, prefix + key + ".")) yield return pair;
            else yield return (prefix + key, value);
        }
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    private static string NonEmpty(string value, string name) =>
        string.IsNullOrWhiteSpace(value) ? throw new ConfigurationException($"Setting {name} must not be empty.") : value;

    private static int ParseInt(string value, string name, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ConfigurationException($"Setting {name} must be a whole number from {min} to {max}, not '{value}'.");

    private static bool ParseBool(string value, string name) => value.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new ConfigurationException($"Setting {name} must be true or false, not '{value}'."),
    };

    private static double ParseSeconds(string value, string name, double min, double max) =>
        double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ConfigurationException($"Setting {name} must be a number of seconds from {min.ToString(CultureInfo.InvariantCulture)} to {max}, not '{value}'.");

    /// <summary>Addresses or CIDRs separated by commas (in kestrel.toml, one string of the same form); an address alone is a /32 or /128.</summary>
    private static IReadOnlyList<System.Net.IPNetwork> ParseNetworks(string value, string name)
    {
        var networks = new List<System.Net.IPNetwork>();
        foreach (var item in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (System.Net.IPNetwork.TryParse(item, out var network)) networks.Add(network);
            else if (System.Net.IPAddress.TryParse(item, out var address))
                networks.Add(new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            else throw new ConfigurationException($"Setting {name} must be addresses or CIDRs separated by commas (such as 10.0.0.5, 10.1.0.0/16); '{item}' is neither.");
        }
        return networks.Count > 0 ? networks : throw new ConfigurationException($"Setting {name} must name at least one address or CIDR.");
    }

    private static string ParseMetricsToken(string value, string name) =>
        value.Length >= 16 ? value : throw new ConfigurationException($"Setting {name} must be at least 16 characters long.");

    private static string ParsePublicUrl(string value, string name) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == "http" || uri.Scheme == "https") && uri.Query == ""
            ? value.TrimEnd('/')
            : throw new ConfigurationException($"Setting {name} must be an absolute http:// or https:// URL, not '{value}'.");

    /// <summary>Parses "host:port" where host is an IP address, "localhost" or "*".</summary>
    public static (IPAddress Address, int Port, string Text) ParseListen(string value, string name)
    {
        var colon = value.LastIndexOf(':');
        if (colon > 0 && int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535)
        {
            var host = value[..colon].Trim('[', ']');
            IPAddress? address = host switch
            {
                "*" => IPAddress.Any,
                "localhost" => IPAddress.Loopback,
                _ => IPAddress.TryParse(host, out var ip) ? ip : null,
            };
            if (address is not null) return (address, port, value);
        }
        throw new ConfigurationException($"Setting {name} must be an address and port such as 0.0.0.0:8080, not '{value}'.");
    }
}
