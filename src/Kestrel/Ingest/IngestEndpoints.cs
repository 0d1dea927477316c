using Kestrel.Platform;
using Kestrel.Projects;

namespace Kestrel.Ingest;

public static class IngestEndpoints
{
    public static IServiceCollection AddIngest(this IServiceCollection services) => services
        .AddSingleton<IngestMetrics>()
        .AddSingleton(new BodyBuffers(IngestLimits.MaxBodyBytesInFlight))
        .AddSingleton<IngestClients>()
        .AddSingleton<RateLimiter>()
        .AddSingleton<EventStore>()
        .AddSingleton<UserFeedbackStore>()
        .AddSingleton<IngestService>();

    public static void MapIngest(this IEndpointRouteBuilder app)
    {
        // The services are singletons, taken here once: a parameter of the handler would be resolved from a scope made for
        // each request (about 0.4 KB of every event).
        var ingest = app.ServiceProvider.GetRequiredService<IngestService>();
        var metrics = app.ServiceProvider.GetRequiredService<IngestMetrics>();
        var group = app.MapGroup("/api/events").RequireProject(allowPublicKey: true, onRejected: _ => metrics.Reject("unauthorized"));
        group.MapPost("", (HttpRequest request, Caller caller, CancellationToken cancellationToken) => PostEvents(request, caller, ingest, cancellationToken));
    }

    private static async Task<IResult> PostEvents(HttpRequest request, Caller caller, IngestService ingest, CancellationToken cancellationToken)
    {
        var (body, rejection) = await ingest.ReadBodyAsync(request, cancellationToken);
        if (rejection is not null) return ingest.Reject(rejection);

        var receivedAt = ingest.Time.GetUtcNow();
        List<PreparedEvent>? events;
        bool isArray;
        using (body!)
            (events, isArray, rejection) = IngestPipeline.Prepare(body!.Memory, receivedAt, ingest.SourceMapStep(caller.ProjectId));
        if (rejection is not null) return ingest.Reject(rejection);

        var (ids, storeRejection) = await ingest.StoreAsync(caller.ProjectId, events!, [], receivedAt, cancellationToken);
        if (storeRejection is not null) return ingest.Reject(storeRejection);
        return isArray ? Results.Json(new { ids }, KestrelJson.Options) : IdAnswer.For(ids![0]);
    }
}
