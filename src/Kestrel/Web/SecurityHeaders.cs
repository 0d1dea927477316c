namespace Kestrel.Web;

/// <summary>
/// Headers on every answer. The Content-Security-Policy allows only this server's own stylesheet and
/// script files: no inline script or style, no framing, forms post only back here. Event data is escaped
/// by Razor; the policy is the second wall if something ever slips through.
/// </summary>
public static class SecurityHeaders
{
    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static void UseSecurityHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        // Pages show secrets (a new token) and private event data: never keep them in a cache.
        if (!http.Request.Path.StartsWithSegments("/assets")) headers.CacheControl = "no-store";
        return next(http);
    });
}
