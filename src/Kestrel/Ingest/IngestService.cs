using Kestrel.Platform;
using Kestrel.Projects;
using Kestrel.SourceMaps;

namespace Kestrel.Ingest;

/// <summary>
/// What every ingest endpoint does around parsing: find the project of a public key, apply the rate
/// limit, store, and count accepted and refused work in <see cref="IngestMetrics"/>.
/// </summary>
public sealed class IngestService(ProjectStore projects, EventStore events, UserFeedbackStore feedbackStore,
    RateLimiter rateLimiter, IngestMetrics metrics, BodyBuffers buffers, IngestClients clients, KestrelOptions options,
    DiskGuard disk, TimeProvider time, SourceMapResolver sourceMaps)
{
    private static readonly Rejection Overloaded = new(503, "overloaded",
        "The server has more events waiting to be written than it holds in memory; retry shortly.", RetryAfterSeconds: 5);

    /// <summary>The database refused the write for lack of disk: answered as the disk guard answers (SQLite's data directory), not 503.</summary>
    private static readonly Rejection DatabaseDiskFull = new(507, "disk_full",
        "The database's disk is full, so it accepts no events until space is freed.", RetryAfterSeconds: ErrorHandling.DiskFullRetryAfterSeconds);

    private static readonly Rejection TooManyRequests = new(429, "client_busy",
        "This client address has too many ingest requests open at once; retry shortly.", RetryAfterSeconds: 2);

    public TimeProvider Time => time;

    /// <summary>
    /// Starts reading a request's body as one of its client's open ingest requests (at most
    /// <c>ingest.max_requests_per_client</c>, else 429), against the client's share of the body buffers and
    /// with <c>ingest.body_timeout_seconds</c> to arrive. The client's place is given back when the request ends.
    /// </summary>
    public (RequestBodyReader? Reader, Rejection? Rejection) OpenBody(HttpRequest request)
    {
        if (clients.TryEnter(request.HttpContext.Connection.RemoteIpAddress) is not { } lease) return (null, TooManyRequests);
        request.HttpContext.Response.RegisterForDispose(lease);
        return RequestBodyReader.Open(request, buffers, lease.Share, TimeSpan.FromSeconds(options.IngestBodyTimeoutSeconds));
    }

    /// <summary><see cref="OpenBody"/>, then the whole body.</summary>
    public async Task<(PooledBody? Body, Rejection? Rejection)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (reader, rejection) = OpenBody(request);
        if (reader is null) return (null, rejection);
        await using (reader) return await reader.ReadToEndAsync(IngestLimits.MaxBodyBytes, cancellationToken);
    }

    /// <summary>Ingest step 025 for one project: JavaScript frames resolved with its source maps before grouping.</summary>
    public Func<NormalisedEvent, NormalisedEvent> SourceMapStep(long projectId) => e => sourceMaps.ResolveAtIngest(projectId, e);

    public IResult Reject(Rejection rejection)
    {
        metrics.Reject(rejection.Reason);
        return new RejectionResult(rejection);
    }

    /// <summary>The project whose public key this is, when it is project <paramref name="projectId"/>.</summary>
    public Project? FindProject(string publicKey, long projectId, out Rejection? refused)
    {
        refused = null;
        publicKey = publicKey.ToLowerInvariant();
        if (!ProjectTokens.LooksLikePublicKey(publicKey))
        {
            refused = new Rejection(401, "unauthorized", "The public key must be the 32 hex characters from the project's DSN.");
            return null;
        }
        var project = projects.FindByPublicKey(publicKey);
        if (project is not null && project.Id == projectId) return project;
        // A key of another project and an unknown key look alike, so keys cannot be probed for projects.
        refused = new Rejection(403, "forbidden", $"This public key does not belong to project {projectId}; check the DSN.");
        return null;
    }

    /// <summary>
    /// Checks the disk, rate-limits by events and feedback reports, then stores the events (one transaction) and the feedback
    /// about them. The events' payloads go back to the pool here (<see cref="PooledPayload"/>), stored or refused: the caller
    /// must not read them afterwards.
    /// </summary>
    /// <returns>the stored events' ids, or why nothing was stored</returns>
    public async Task<(string[]? Ids, Rejection? Rejection)> StoreAsync(long projectId, IReadOnlyList<PreparedEvent> prepared,
        IReadOnlyList<UserFeedback> feedback, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        var counted = prepared.Count + feedback.Count;
        var receivedAtMs = receivedAt.ToUnixTimeMilliseconds();
        string[] ids = [];
        try
        {
            if (disk.IsLow)
                return (null, new Rejection(507, "disk_full",
                    $"The server's disk has less than {disk.MinFreeBytes / 1024 / 1024} MB free, so it accepts no events until space is freed.", RetryAfterSeconds: ErrorHandling.DiskFullRetryAfterSeconds));
            // Each feedback report counts as an event: envelopes of nothing but reports are no way around the limit.
            if (counted > 0 && rateLimiter.TryAcquire(projectId, counted) is { } retryAfter)
                return (null, new Rejection(429, "rate_limited",
                    $"This project sent more than its limit of events per minute; retry in {retryAfter} s.", retryAfter));

            if (prepared.Count > 0)
            {
                if (events.TryStoreAsync(projectId, prepared, receivedAtMs) is not { } stored)
                {
                    rateLimiter.Return(projectId, counted); // refused, so not counted against the limit
                    return (null, Overloaded);
                }
                // Awaited without cancellation: the payloads must not go back while the job may still run.
                try { ids = await stored; }
                catch (Exception e) when (DatabaseFailures.IsDiskFull(e))
                {
                    rateLimiter.Return(projectId, counted);
                    return (null, DatabaseDiskFull);
                }
            }
        }
        finally
        {
            // Queued or not, nothing reads the payloads any more: a refused job never reached the writer, and the writer
            // ends a job's task (committed, failed, or refused at shutdown) only when it will not run that job again.
            foreach (var e in prepared) e.StoredPayload.Return();
        }
        metrics.Accept(ids.Length);
        foreach (var e in prepared) metrics.DropTags(e.Tags.Dropped);
        if (feedback.Count > 0)
        {
            try { await feedbackStore.StoreAsync(projectId, feedback, receivedAtMs, cancellationToken); }
            catch (Exception e) when (DatabaseFailures.IsDiskFull(e)) { return (null, DatabaseDiskFull); } // the events are stored; a resend is stored once
        }
        return (ids, null);
    }
}
