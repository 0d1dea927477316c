namespace Kestrel.Platform;

/// <summary>
/// Every setting Kestrel reads, with its default. Values come from defaults, then <c>kestrel.toml</c>,
/// then <c>KESTREL_*</c> environment variables (see <see cref="SettingsLoader"/> and docs/configuration.md).
/// </summary>
public sealed class KestrelOptions
{
    /// <summary>Directory holding kestrel.db and the secret files.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>postgres://user:password@host:port/database: all state in PostgreSQL; null keeps it in SQLite in the data directory.</summary>
    public string? DatabaseUrl { get; set; }

    /// <summary>Address and port the HTTP server binds, "host:port"; port 0 picks a free one.</summary>
    public string Listen { get; set; } = "0.0.0.0:8080";

    /// <summary>External base URL, used in DSNs.</summary>
    public string PublicUrl { get; set; } = "http://localhost:8080";

    /// <summary>Admin password; when set it wins over the generated .admin_password file.</summary>
    public string? AdminPassword { get; set; }

    /// <summary>Bearer token that enables /metrics; null keeps /metrics off (404).</summary>
    public string? MetricsToken { get; set; }

    /// <summary>Reverse proxies (addresses or CIDRs) whose X-Forwarded-For and X-Forwarded-Proto are believed; none by default.</summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; set; } = [];

    /// <summary>Days an event is kept.</summary>
    public int RetentionDays { get; set; } = 90;

    /// <summary>Most events kept per issue (its first and its newest); 0 keeps all.</summary>
    public int RetentionMaxEventsPerIssue { get; set; } = 10_000;

    /// <summary>Seconds between retention runs (one also runs a minute after start).</summary>
    public int RetentionIntervalSeconds { get; set; } = 600;

    /// <summary>Megabytes that must stay free on the data directory's disk; below it ingest and source-map uploads answer 507.</summary>
    public int DiskMinFreeMb { get; set; } = 512;

    /// <summary>Events accepted per project per minute before 429; 0 turns the limit off.</summary>
    public int RateLimitPerMinute { get; set; } = 60_000;

    /// <summary>Most write jobs (requests) the single writer commits in one transaction.</summary>
    public int WriterMaxBatch { get; set; } = 256;

    /// <summary>Most write jobs waiting for the writer; beyond it ingest answers 503 at once.</summary>
    public int WriterQueueCapacity { get; set; } = 4096;

    /// <summary>Megabytes of compressed events waiting for the writer; beyond it ingest answers 503 at once.</summary>
    public int WriterQueueMb { get; set; } = 64;

    /// <summary>Megabytes of parsed source maps kept in memory; the least recently used go first.</summary>
    public int SourceMapCacheMegabytes { get; set; } = 256;

    /// <summary>Seconds a client has to send a whole ingest body; past it the request is answered 408.</summary>
    public int IngestBodyTimeoutSeconds { get; set; } = 30;

    /// <summary>Most ingest requests one client address may have open at once (429 beyond); 0 = no limit.</summary>
    public int IngestMaxRequestsPerClient { get; set; } = 32;

    /// <summary>Megabytes of the 160 MiB body-buffer budget one client address may hold (429 beyond); 0 = no limit.</summary>
    public int IngestMaxBodyMbPerClient { get; set; } = 40;

    /// <summary>Most releases that events may create per project per hour; later new names are not recorded. 0 = no limit.</summary>
    public int ReleasesMaxNewPerHour { get; set; } = 100;

    /// <summary>SMTP server for e-mail alerts: smtp://user:pass@host:587 (STARTTLS), smtps://host:465 (TLS), smtp://host:25?tls=none.</summary>
    public string? SmtpUrl { get; set; }

    /// <summary>Sender address of e-mail alerts.</summary>
    public string? SmtpFrom { get; set; }

    /// <summary>Most alert e-mails sent per hour, all projects together.</summary>
    public int AlertsEmailsPerHour { get; set; } = 60;

    /// <summary>Whether webhooks may reach loopback, private and link-local addresses (never the cloud metadata ones).</summary>
    public bool AlertsAllowPrivateTargets { get; set; }

    /// <summary>Seconds; scales the whole alert retry schedule (30 gives 30 s, 2 min, 10 min, 1 h, 6 h, give up after 24 h).</summary>
    public double AlertsRetryBaseSeconds { get; set; } = 30;

    public string DatabasePath => Path.Combine(DataDirectory, "kestrel.db");
}
