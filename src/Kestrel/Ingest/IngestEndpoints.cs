using Kestrel.Platform;
using Kestrel.Projects;
using Kestrel.SourceMaps;

namespace Kestrel.Ingest;

public static class IngestEndpoints
{
    public static IServiceCollection AddIngest(this IServiceCollection services) => services
        .AddSingleton<IngestMetrics>()
        .AddSingleton(new BodyBuffers(IngestLimits.MaxBodyBytesInFlight))
        .AddSingleton<RateLimiter>()
        .AddSingleton<EventStore>();

    public static void MapIngest(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/events")
            .RequireProject(allowPublicKey: true, onRejected: http => http.RequestServices.GetRequiredService<IngestMetrics>().Reject("unauthorized"));
        group.MapPost("", PostEvents);
    }

    private static async Task<IResult> PostEvents(HttpRequest request, Caller caller, EventStore store, IngestMetrics metrics,
        RateLimiter rateLimiter, BodyBuffers buffers, TimeProvider time, SourceMapResolver sourceMaps, CancellationToken cancellationToken)
    {
        var (body, rejection) = await RequestBodyReader.ReadAsync(request, buffers, IngestLimits.MaxBodyBytes, cancellationToken);
        if (rejection is not null) return Reject(request, metrics, rejection);

        var receivedAt = time.GetUtcNow();
        List<PreparedEvent>? events;
        bool isArray;
        using (body!)
            (events, isArray, rejection) = IngestPipeline.Prepare(body!.Memory, receivedAt, e => sourceMaps.ResolveAtIngest(caller.ProjectId, e));
        if (rejection is not null) return Reject(request, metrics, rejection);

        if (rateLimiter.TryAcquire(caller.ProjectId, events!.Count) is { } retryAfter)
            return Reject(request, metrics, new Rejection(429, "rate_limited",
                $"This project sent more than its limit of events per minute; retry in {retryAfter} s.", retryAfter));

        var ids = await store.StoreAsync(caller.ProjectId, events, receivedAt.ToUnixTimeMilliseconds(), cancellationToken);
        metrics.Accept(ids.Length);
        return isArray ? Results.Json(new { ids }, KestrelJson.Options) : Results.Json(new { id = ids[0] }, KestrelJson.Options);
    }

    private static IResult Reject(HttpRequest request, IngestMetrics metrics, Rejection rejection)
    {
        metrics.Reject(rejection.Reason);
        if (rejection.RetryAfterSeconds is { } seconds)
            request.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ApiError.Result(rejection.Status, rejection.Message);
    }
}
