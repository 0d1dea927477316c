using Kestrel.Platform;
using Kestrel.Projects;
using Kestrel.SourceMaps;

namespace Kestrel.Ingest;

/// <summary>
/// What every ingest endpoint does around parsing: find the project of a public key, apply the rate
/// limit, store, and count accepted and refused work in <see cref="IngestMetrics"/>.
/// </summary>
public sealed class IngestService(ProjectStore projects, EventStore events, UserFeedbackStore feedbackStore,
    RateLimiter rateLimiter, IngestMetrics metrics, BodyBuffers buffers, DiskGuard disk, TimeProvider time, SourceMapResolver sourceMaps)
{
    private static readonly Rejection Overloaded = new(503, "overloaded",
        "The server has more events waiting to be written than it holds in memory; retry shortly.", RetryAfterSeconds: 5);

    public BodyBuffers Buffers => buffers;
    public TimeProvider Time => time;

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

    /// <summary>Checks the disk, rate-limits by event count, then stores the events (one transaction) and the feedback about them.</summary>
    /// <returns>the stored events' ids, or why nothing was stored</returns>
    public async Task<(string[]? Ids, Rejection? Rejection)> StoreAsync(long projectId, IReadOnlyList<PreparedEvent> prepared,
        IReadOnlyList<UserFeedback> feedback, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        if (disk.IsLow)
            return (null, new Rejection(507, "disk_full",
                $"The server's disk has less than {disk.MinFreeBytes / 1024 / 1024} MB free, so it accepts no events until space is freed.", RetryAfterSeconds: 60));
        if (prepared.Count > 0 && rateLimiter.TryAcquire(projectId, prepared.Count) is { } retryAfter)
            return (null, new Rejection(429, "rate_limited",
                $"This project sent more than its limit of events per minute; retry in {retryAfter} s.", retryAfter));

        var receivedAtMs = receivedAt.ToUnixTimeMilliseconds();
        string[] ids = [];
        if (prepared.Count > 0)
        {
            if (events.TryStoreAsync(projectId, prepared, receivedAtMs) is not { } stored)
            {
                rateLimiter.Return(projectId, prepared.Count); // refused, so not counted against the limit
                return (null, Overloaded);
            }
            ids = await stored;
        }
        metrics.Accept(ids.Length);
        foreach (var e in prepared) metrics.DropTags(e.Tags.Dropped);
        if (feedback.Count > 0) await feedbackStore.StoreAsync(projectId, feedback, receivedAtMs, cancellationToken);
        return (ids, null);
    }
}
