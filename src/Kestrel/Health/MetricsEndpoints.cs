using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Kestrel.Ingest;
using Kestrel.Platform;

namespace Kestrel.Health;

/// <summary>
/// Prometheus text at /metrics, only when a metrics token is configured (404 otherwise) and only
/// with that token as bearer (401 otherwise). Gauges are read from the database on each scrape.
/// </summary>
public static class MetricsEndpoints
{
    public static void MapMetrics(this IEndpointRouteBuilder app) => app.MapGet("/metrics", Metrics);

    private static IResult Metrics(HttpRequest request, KestrelOptions options, Database database, IngestMetrics ingest,
        DatabaseWriter writer, Retention.RetentionJob retention, DiskGuard disk, TimeProvider time)
    {
        if (options.MetricsToken is null) return ApiError.NotFound("Metrics are off; set KESTREL_METRICS_TOKEN to turn them on.");
        // Hashes of equal length, compared in constant time: the comparison tells nothing of the token.
        var presented = BearerToken.From(request.Headers.Authorization.ToString()) ?? "";
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(options.MetricsToken))))
            return ApiError.Unauthorized("Send the metrics token as 'Authorization: Bearer <token>'.");

        var now = time.GetUtcNow();
        var dayAgoHour = (now.ToUnixTimeMilliseconds() - 86_400_000) / 3_600_000 * 3_600_000;
        using var connection = database.Connect();
        var projects = connection.ExecuteScalar<long>("SELECT COUNT(*) FROM projects");
        var byStatus = connection.Query<(string Status, long Count)>("SELECT status, COUNT(*) FROM issues GROUP BY status")
            .ToDictionary(r => r.Status, r => r.Count);
        var events = connection.ExecuteScalar<long>("SELECT COUNT(*) FROM events");
        // Hour buckets: the 24 h figure includes up to one extra hour at its old end.
        var events24h = connection.ExecuteScalar<long?>("SELECT CAST(SUM(count) AS BIGINT) FROM issue_hourly WHERE hour >= @dayAgoHour", new { dayAgoHour }) ?? 0;

        var text = new StringBuilder();
        Gauge(text, "kestrel_info", "Version and commit of this build.", $"{{version=\"{AppInfo.Version}\",commit=\"{AppInfo.Commit}\"}}", 1);
        Gauge(text, "kestrel_uptime_seconds", "Seconds since the server started.", "", (long)(now - AppInfo.StartedAt).TotalSeconds);
        Gauge(text, "kestrel_projects_total", "Projects.", "", projects);
        text.Append("# HELP kestrel_issues_total Issues by status.\n# TYPE kestrel_issues_total gauge\n");
        foreach (var status in (string[])["open", "resolved", "ignored"])
            text.Append(CultureInfo.InvariantCulture, $"kestrel_issues_total{{status=\"{status}\"}} {byStatus.GetValueOrDefault(status)}\n");
        Gauge(text, "kestrel_events_total", "Events stored.", "", events);
        Gauge(text, "kestrel_events_24h", "Events received in the last 24 hours.", "", events24h);
        Counter(text, "kestrel_ingest_events_accepted_total", "Events accepted since start.", "", ingest.Accepted);
        Counter(text, "kestrel_ingest_tags_dropped_total", "Tags of accepted events dropped since start for breaking a tag limit (50 per event, key, value).", "", ingest.TagsDropped);
        text.Append("# HELP kestrel_ingest_rejected_total Ingest requests refused since start, by reason.\n# TYPE kestrel_ingest_rejected_total counter\n");
        foreach (var (reason, count) in ingest.Rejected)
            text.Append(CultureInfo.InvariantCulture, $"kestrel_ingest_rejected_total{{reason=\"{reason}\"}} {count}\n");
        Counter(text, "kestrel_writer_transactions_total", "Write transactions committed since start.", "", Interlocked.Read(ref writer.CommittedBatches));
        Counter(text, "kestrel_writer_jobs_total", "Write jobs (requests) committed since start.", "", Interlocked.Read(ref writer.CommittedJobs));
        Counter(text, "kestrel_writer_conflict_retries_total", "Transactions run again after a deadlock or serialization failure with another node (PostgreSQL; always 0 on SQLite).", "", Interlocked.Read(ref writer.ConflictRetries));
        Counter(text, "kestrel_writer_batches_retried_total", "Batches rolled back because one write failed, then run one write per transaction.", "", Interlocked.Read(ref writer.RetriedBatches));
        text.Append(CultureInfo.InvariantCulture,
            $"# HELP kestrel_writer_busy_seconds_total Seconds the writer spent inside write transactions (statements, fsync, commit); its rate is how busy the writer is.\n# TYPE kestrel_writer_busy_seconds_total counter\nkestrel_writer_busy_seconds_total {Interlocked.Read(ref writer.BusyTicks) / (double)System.Diagnostics.Stopwatch.Frequency:0.######}\n");
        Gauge(text, "kestrel_writer_queue_bytes", "Compressed events waiting for the writer, in bytes (ingest answers 503 beyond writer.queue_mb).", "", writer.QueuedBytes);
        Gauge(text, "kestrel_disk_free_bytes", "Free bytes on the data directory's disk (ingest and uploads answer 507 below disk.min_free_mb).", "", disk.FreeBytes);
        Counter(text, "kestrel_retention_runs_total", "Retention runs since start.", "", Interlocked.Read(ref retention.Runs));
        text.Append("# HELP kestrel_retention_events_deleted_total Events deleted by retention since start, by why.\n# TYPE kestrel_retention_events_deleted_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"kestrel_retention_events_deleted_total{{reason=\"age\"}} {Interlocked.Read(ref retention.EventsAgedOut)}\n");
        text.Append(CultureInfo.InvariantCulture, $"kestrel_retention_events_deleted_total{{reason=\"per_issue_cap\"}} {Interlocked.Read(ref retention.EventsOverCap)}\n");
        Counter(text, "kestrel_retention_pages_freed_total", "Database pages given back to the file system by retention since start.", "", Interlocked.Read(ref retention.PagesFreed));
        // The runtime's own counters, cheap to read: what ingest costs in garbage, and what collecting it costs in pauses.
        Counter(text, "kestrel_managed_allocated_bytes_total", "Bytes allocated on the managed heap since start (all threads).", "", GC.GetTotalAllocatedBytes(precise: false));
        text.Append(CultureInfo.InvariantCulture,
            $"# HELP kestrel_gc_pause_seconds_total Time the runtime paused managed threads for garbage collection since start.\n# TYPE kestrel_gc_pause_seconds_total counter\nkestrel_gc_pause_seconds_total {GC.GetTotalPauseDuration().TotalSeconds:0.######}\n");
        text.Append("# HELP kestrel_gc_collections_total Garbage collections since start, by generation.\n# TYPE kestrel_gc_collections_total counter\n");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
            text.Append(CultureInfo.InvariantCulture, $"kestrel_gc_collections_total{{generation=\"{generation}\"}} {GC.CollectionCount(generation)}\n");
        return Results.Text(text.ToString(), "text/plain; version=0.0.4; charset=utf-8");
    }

    private static void Gauge(StringBuilder text, string name, string help, string labels, long value) => Write(text, "gauge", name, help, labels, value);
    private static void Counter(StringBuilder text, string name, string help, string labels, long value) => Write(text, "counter", name, help, labels, value);

    private static void Write(StringBuilder text, string type, string name, string help, string labels, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name}{labels} {value}\n");
}
