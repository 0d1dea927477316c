using System.Globalization;
using Kestrel.Projects;

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
        // A singleton, taken here once rather than resolved for each request from a scope of its own (see MapIngest).
        var ingest = app.ServiceProvider.GetRequiredService<IngestService>();
        group.MapPost("/envelope/", (string projectId, HttpRequest request, CancellationToken cancellationToken) => PostEnvelope(projectId, request, ingest, cancellationToken));
        group.MapPost("/store/", (string projectId, HttpRequest request, CancellationToken cancellationToken) => PostStore(projectId, request, ingest, cancellationToken));
        group.MapMethods("/envelope/", ["OPTIONS"], SentryResponses.Preflight);
        group.MapMethods("/store/", ["OPTIONS"], SentryResponses.Preflight);
    }

    private static async Task<IResult> PostEnvelope(string projectId, HttpRequest request, IngestService ingest, CancellationToken cancellationToken)
    {
        var (project, body, refused) = await ReadAuthenticatedAsync(projectId, request, ingest, isEnvelope: true, cancellationToken);
        if (refused is not null) return ingest.Reject(refused);
        using (body!)
        {
            var (envelope, error) = Envelope.Parse(body!.Memory.Span);
            if (envelope is null) return ingest.Reject(new Rejection(400, "malformed_envelope", error!));
            var key = project!.PublicKey;
            if (CheckDsn(envelope.Dsn, projectId, project.Id, ref key) is { } dsnRefused) return ingest.Reject(dsnRefused);

            var receivedAt = ingest.Time.GetUtcNow();
            var (events, feedback, itemRejection) = EnvelopeItems.Read(envelope, body.Memory, receivedAt, ingest.SourceMapStep(project.Id));
            if (itemRejection is not null) return ingest.Reject(itemRejection);
            var (ids, storeRejection) = await ingest.StoreAsync(project.Id, events, feedback, receivedAt, cancellationToken);
            if (storeRejection is not null) return ingest.Reject(storeRejection);
            // Sentry answers {"id"} when the envelope names an event and {} otherwise.
            var answer = envelope.EventId ?? ids!.FirstOrDefault();
            return answer is null ? Results.Json(new { }) : IdAnswer.For(answer);
        }
    }

    private static async Task<IResult> PostStore(string projectId, HttpRequest request, IngestService ingest, CancellationToken cancellationToken)
    {
        var (project, body, refused) = await ReadAuthenticatedAsync(projectId, request, ingest, isEnvelope: false, cancellationToken);
        if (refused is not null) return ingest.Reject(refused);
        var receivedAt = ingest.Time.GetUtcNow();
        PreparedEvent? prepared;
        using (body!)
            (prepared, refused) = IngestPipeline.PrepareOne(body!.Memory, receivedAt, eventId: null, "The event ", ingest.SourceMapStep(project!.Id));
        if (refused is not null) return ingest.Reject(refused);
        var (ids, storeRejection) = await ingest.StoreAsync(project.Id, [prepared!], [], receivedAt, cancellationToken);
        return storeRejection is not null ? ingest.Reject(storeRejection) : IdAnswer.For(ids![0]);
    }

    /// <summary>
    /// The preamble envelope and store requests share: find the project of the public key, then read the
    /// body as one of the client's requests. No body is buffered for a request without a valid key: a key
    /// in the headers or query is checked first, and an envelope without one is read only as far as its
    /// header line, whose <c>dsn</c> may carry the key (tunnels do that).
    /// </summary>
    /// <returns>the project and the whole body, or why the request is refused</returns>
    private static async Task<(Project? Project, PooledBody? Body, Rejection? Refused)> ReadAuthenticatedAsync(
        string projectId, HttpRequest request, IngestService ingest, bool isEnvelope, CancellationToken cancellationToken)
    {
        if (ParseProjectId(projectId) is not { } id) return (null, null, BadProject);
        var (key, authError) = RequestKey(request);
        if (authError is not null) return (null, null, new Rejection(401, "unauthorized", authError));
        if (key is null && !isEnvelope) return (null, null, MissingKey);
        Rejection? refused = null;
        var project = key is null ? null : ingest.FindProject(key, id, out refused);
        if (refused is not null) return (null, null, refused);

        var (reader, rejection) = ingest.OpenBody(request);
        if (reader is null) return (null, null, rejection);
        if (isEnvelope && key is null)
        {
            (key, rejection) = await KeyFromEnvelopeHeaderAsync(reader, projectId, id, cancellationToken);
            if (rejection is null && (project = ingest.FindProject(key!, id, out refused)) is null) rejection = refused;
        }
        await using (reader)
        {
            if (rejection is not null) return (null, null, rejection);
            var (body, unread) = await reader.ReadToEndAsync(IngestLimits.MaxBodyBytes, cancellationToken);
            return (project, body, unread);
        }
    }

    /// <summary>Reads just the envelope's header line, for the key in its dsn.</summary>
    private static async Task<(string? Key, Rejection? Refused)> KeyFromEnvelopeHeaderAsync(RequestBodyReader reader, string projectId, long id, CancellationToken cancellationToken)
    {
        if (await reader.ReadFirstLineAsync(Envelope.MaxHeaderBytes, cancellationToken) is { } unread) return (null, unread);
        var (header, error) = Envelope.ReadHeader(Envelope.FirstLine(reader.Read));
        if (header is null) return (null, new Rejection(400, "malformed_envelope", error!));
        string? key = null;
        if (CheckDsn(header.Value.Dsn, projectId, id, ref key) is { } refused) return (null, refused);
        return key is null ? (null, MissingKey) : (key, null);
    }

    /// <summary>An envelope header's dsn, when there is one, must be a DSN of this project and agree with the request's key; it gives the key when the request has none.</summary>
    private static Rejection? CheckDsn(string? text, string projectId, long id, ref string? key)
    {
        if (text is null) return null;
        if (SentryAuth.ParseDsn(text) is not { } dsn)
            return new Rejection(401, "unauthorized", "The envelope header's dsn is not a valid DSN.");
        if (dsn.ProjectId != projectId)
            return new Rejection(403, "forbidden", $"The envelope's dsn is for project {dsn.ProjectId}, but it was sent to project {id}.");
        if (SentryAuth.Conflicts(ref key, dsn.Key))
            return new Rejection(401, "unauthorized", "The envelope's dsn names another public key than the request does.");
        return null;
    }

    private static (string? Key, string? Error) RequestKey(HttpRequest request) =>
        SentryAuth.FromRequest(request.Headers["X-Sentry-Auth"], request.Headers.Authorization, request.Query["sentry_key"]);

    private static long? ParseProjectId(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    private static readonly Rejection BadProject = new(400, "bad_project", "The project id in the URL must be a number, as in the project's DSN.");

    private static readonly Rejection MissingKey = new(401, "unauthorized",
        "Send the project's public key as X-Sentry-Auth, as the sentry_key query parameter or in the envelope header's dsn.");
}
