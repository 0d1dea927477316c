namespace Kestrel.Ingest;

/// <summary>CORS for the Sentry endpoints (reference §1.4): browser SDKs post from any origin and must read our rate-limit headers.</summary>
public static class SentryResponses
{
    private const string AllowedHeaders = "x-sentry-auth, x-requested-with, x-forwarded-for, origin, referer, accept, content-type, "
        + "authentication, authorization, content-encoding, transfer-encoding, sentry-trace, baggage";

    /// <summary>
    /// Added when the response starts, so they survive anything that clears headers on the way
    /// (the JSON error handler does, for a 503 on a busy database).
    /// </summary>
    public static void AddCors(HttpResponse response) => response.OnStarting(static state =>
    {
        var headers = ((HttpResponse)state).Headers;
        headers.AccessControlAllowOrigin = "*";
        headers.AccessControlExposeHeaders = "x-sentry-error, x-sentry-rate-limits, retry-after";
        return Task.CompletedTask;
    }, response);

    public static IResult Preflight(HttpResponse response)
    {
        response.Headers.AccessControlAllowMethods = "POST, OPTIONS";
        response.Headers.AccessControlAllowHeaders = AllowedHeaders;
        response.Headers.AccessControlMaxAge = "3600";
        return Results.Ok();
    }
}
