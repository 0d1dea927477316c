using System.Threading.Channels;

namespace Kestrel.Platform;

/// <summary>
/// Makes every error answer <c>{"error": ...}</c>, including the ones no endpoint wrote: an unknown
/// route or method, and exceptions. Failures that pass (the database busy or unreachable, the server
/// stopping) answer 503 with <c>Retry-After</c>, which SDKs honour by sending again later; the database's
/// disk full answers 507 with a longer <c>Retry-After</c>, as the disk guard does.
/// </summary>
public static class ErrorHandling
{
    /// <summary>One middleware, <see cref="JsonErrorMiddleware"/>, that says which failures are whose and answers them.</summary>
    public static void UseJsonErrors(this WebApplication app)
    {
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        app.Use(next => new JsonErrorMiddleware(next, loggers).InvokeAsync);
    }

    /// <summary>The answer to an error status that no endpoint wrote a body for.</summary>
    internal static IResult StatusPage(HttpContext http)
    {
        var message = http.Response.StatusCode switch
        {
            StatusCodes.Status404NotFound => $"There is no {http.Request.Path} here.",
            StatusCodes.Status405MethodNotAllowed => $"{http.Request.Path} does not take {http.Request.Method}.",
            StatusCodes.Status413PayloadTooLarge => "The body is too large.",
            StatusCodes.Status415UnsupportedMediaType => "This content type is not accepted here.",
            var other => $"The request failed with status {other}.",
        };
        return ApiError.Result(http.Response.StatusCode, message);
    }

    /// <summary>How long a request refused for a full disk is told to wait: freeing space takes an operator, not seconds.</summary>
    public const int DiskFullRetryAfterSeconds = 60;

    /// <summary>The status and sentence of a failure: 503 or 507 for one that passes (<see cref="Passes"/>), 400 or 500 else.</summary>
    internal static (int Status, string Message) Classify(Exception? error) => error switch
    {
        _ when DatabaseFailures.IsDiskFull(error) => (507, "The database's disk is full, so nothing can be written until space is freed; retry later."),
        _ when DatabaseFailures.RetryLater(error) is { } retry => (503, retry), // busy, or (PostgreSQL) not reachable
        ChannelClosedException or ServerStoppingException => (503, "The server is shutting down; retry shortly."),
        BadHttpRequestException bad => (bad.StatusCode, "The request could not be read."),
        _ => (500, "Something went wrong on the server; it has been logged."),
    };

    /// <summary>The sentence of a failure that passes (503 or 507), for answers other than HTTP statuses (MCP); null for any other.</summary>
    internal static string? Passes(Exception? error) => Classify(error) is (StatusCodes.Status503ServiceUnavailable or StatusCodes.Status507InsufficientStorage, var message) ? message : null;
}

/// <summary>Thrown to requests still waiting for the writer when the server stops.</summary>
public sealed class ServerStoppingException() : Exception("The server is shutting down.");
