using System.Globalization;

namespace Kestrel.Ingest;

/// <summary>
/// The endpoints Sentry SDKs send to (reference §1–4, §8): <c>POST /api/{id}/envelope/</c> and the legacy
/// <c>POST /api/{id}/store/</c>, authenticated by the project's public key in any of Sentry's forms.
/// Events take the same normalise → group → store path as <c>/api/events</c>. Every answer, errors
/// included, carries CORS headers so browser SDKs can read it, and errors carry <c>X-Sentry-Error</c>.
/// </summary>
public static class SentryEndpoints
{
    public static void MapSentryIngest(this IEndpointRouteBuilder app)
    {
        // {projectId} is text so a bad one gets a JSON 400 with CORS headers, not a bare 404.
        var group = app.MapGroup("/api/{projectId}").AddEndpointFilter(async (context, next) =>
        {
            SentryResponses.AddCors(context.HttpContext.Response);
            return await next(context);
        });
        group.MapPost("/envelope/", PostEnvelope);
        group.MapPost("/store/", PostStore);
        group.MapMethods("/envelope/", ["OPTIONS"], SentryResponses.Preflight);
        group.MapMethods("/store/", ["OPTIONS"], SentryResponses.Preflight);
    }

    private static async Task<IResult> PostEnvelope(string projectId, HttpRequest request, IngestService ingest, CancellationToken cancellationToken)
    {
        if (ParseProjectId(projectId) is not { } id) return ingest.Reject(BadProject);
        // Credentials in headers or the query are checked before the body is read.
        var (key, authError) = RequestKey(request);
        if (authError is not null) return ingest.Reject(new Rejection(401, "unauthorized", authError));
        Rejection? refused = null;
        var project = key is null ? null : ingest.FindProject(key, id, out refused);
        if (key is not null && project is null) return ingest.Reject(refused!);

        var (body, rejection) = await RequestBodyReader.ReadAsync(request, ingest.Buffers, IngestLimits.MaxBodyBytes, cancellationToken);
        if (rejection is not null) return ingest.Reject(rejection);
        using (body!)
        {
            var (envelope, error) = Envelope.Parse(body!.Memory.Span);
            if (envelope is null) return ingest.Reject(new Rejection(400, "malformed_envelope", error!));

            // An envelope may authenticate itself with the DSN in its header (tunnels do).
            if (envelope.Dsn is not null)
            {
                if (SentryAuth.ParseDsn(envelope.Dsn) is not { } dsn)
                    return ingest.Reject(new Rejection(401, "unauthorized", "The envelope header's dsn is not a valid DSN."));
                if (dsn.ProjectId != projectId)
                    return ingest.Reject(new Rejection(403, "forbidden", $"The envelope's dsn is for project {dsn.ProjectId}, but it was sent to project {id}."));
                if (SentryAuth.Conflicts(ref key, dsn.Key))
                    return ingest.Reject(new Rejection(401, "unauthorized", "The envelope's dsn names another public key than the request does."));
            }
            if (key is null) return ingest.Reject(MissingKey);
            project ??= ingest.FindProject(key, id, out refused);
            if (project is null) return ingest.Reject(refused!);

            var receivedAt = ingest.Time.GetUtcNow();
            var (events, feedback, itemRejection) = EnvelopeItems.Read(envelope, body.Memory, receivedAt, ingest.SourceMapStep(project.Id));
            if (itemRejection is not null) return ingest.Reject(itemRejection);
            var (ids, storeRejection) = await ingest.StoreAsync(project.Id, events, feedback, receivedAt, cancellationToken);
            if (storeRejection is not null) return ingest.Reject(storeRejection);
            // Sentry answers {"id"} when the envelope names an event and {} otherwise.
            var answer = envelope.EventId ?? ids!.FirstOrDefault();
            return answer is null ? Results.Json(new { }) : Results.Json(new { id = answer });
        }
    }

    private static async Task<IResult> PostStore(string projectId, HttpRequest request, IngestService ingest, CancellationToken cancellationToken)
    {
        if (ParseProjectId(projectId) is not { } id) return ingest.Reject(BadProject);
        var (key, authError) = RequestKey(request);
        if (authError is not null) return ingest.Reject(new Rejection(401, "unauthorized", authError));
        if (key is null) return ingest.Reject(MissingKey);
        if (ingest.FindProject(key, id, out var refused) is not { } project) return ingest.Reject(refused!);

        var (body, rejection) = await RequestBodyReader.ReadAsync(request, ingest.Buffers, IngestLimits.MaxBodyBytes, cancellationToken);
        if (rejection is not null) return ingest.Reject(rejection);
        var receivedAt = ingest.Time.GetUtcNow();
        PreparedEvent? prepared;
        using (body!)
            (prepared, rejection) = IngestPipeline.PrepareOne(body!.Memory, receivedAt, eventId: null, "The event ", ingest.SourceMapStep(project.Id));
        if (rejection is not null) return ingest.Reject(rejection);
        var (ids, storeRejection) = await ingest.StoreAsync(project.Id, [prepared!], [], receivedAt, cancellationToken);
        return storeRejection is not null ? ingest.Reject(storeRejection) : Results.Json(new { id = ids![0] });
    }

    private static (string? Key, string? Error) RequestKey(HttpRequest request) =>
        SentryAuth.FromRequest(request.Headers["X-Sentry-Auth"], request.Headers.Authorization, request.Query["sentry_key"]);

    private static long? ParseProjectId(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    private static readonly Rejection BadProject = new(400, "bad_project", "The project id in the URL must be a number, as in the project's DSN.");

    private static readonly Rejection MissingKey = new(401, "unauthorized",
        "Send the project's public key as X-Sentry-Auth, as the sentry_key query parameter or in the envelope header's dsn.");
}
