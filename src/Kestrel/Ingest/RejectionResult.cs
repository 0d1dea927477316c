using System.Globalization;
using Kestrel.Platform;

namespace Kestrel.Ingest;

/// <summary>
/// A refused ingest request as SDKs expect it (reference §4): the JSON error, the sentence again in
/// <c>X-Sentry-Error</c>, and when waiting helps, <c>Retry-After</c>; a 429 also gets
/// <c>X-Sentry-Rate-Limits</c> for all categories of the project, which SDKs obey per category.
/// </summary>
public sealed class RejectionResult(Rejection rejection) : IResult
{
    public Rejection Rejection => rejection;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var headers = httpContext.Response.Headers;
        headers["X-Sentry-Error"] = HeaderSafe(rejection.Message);
        // A body that stopped short leaves the connection's input in an unknown state: close it after this answer rather
        // than read a next request from it. Reading on raced ASP.NET's own reader now and then (aspnetcore#52324), which
        // logged "Reading is already in progress" with a stack trace, from anyone.
        if (rejection.Reason is "incomplete_body" or "body_timeout") headers.Connection = "close";
        if (rejection.RetryAfterSeconds is { } seconds)
        {
            var text = seconds.ToString(CultureInfo.InvariantCulture);
            headers.RetryAfter = text;
            if (rejection.Status == StatusCodes.Status429TooManyRequests) headers["X-Sentry-Rate-Limits"] = text + "::project:rate_limited";
        }
        return ApiError.Result(rejection.Status, rejection.Message).ExecuteAsync(httpContext);
    }

    /// <summary>Header values must be visible ASCII; messages may quote what a client sent.</summary>
    private static string HeaderSafe(string message) =>
        string.Create(message.Length, message, (span, text) =>
        {
            for (var i = 0; i < text.Length; i++) span[i] = text[i] is >= ' ' and <= '~' ? text[i] : '?';
        });
}
