using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace Kestrel.Platform;

/// <summary>
/// The middleware of <see cref="ErrorHandling.UseJsonErrors"/>. It does, in one async method and in the same order, what
/// three layers did: ASP.NET's exception handler (outermost), a try/catch for requests a client broke, and ASP.NET's
/// status code pages (innermost). Each layer cost every request a state machine, and the status code pages a feature and
/// an entry in the request's items too: about 0.6 KB per event, 4 % of what an ingest request allocated.
/// What ASP.NET's handler does and nothing here needs is left out: re-running the pipeline, the
/// <see cref="IExceptionHandlerFeature"/> (nothing reads it), its diagnostic event and its exception counter.
/// </summary>
internal sealed class JsonErrorMiddleware(RequestDelegate next, ILoggerFactory loggers)
{
    /// <summary>What a client did wrong, under our own category, at debug.</summary>
    private readonly ILogger clientLog = loggers.CreateLogger(typeof(ErrorHandling).FullName!);

    /// <summary>What the server did wrong, under ASP.NET's exception handler's category and event ids, so the log (and any filter on it) reads as before.</summary>
    private readonly ILogger serverLog = loggers.CreateLogger<ExceptionHandlerMiddleware>();

    public async Task InvokeAsync(HttpContext context)
    {
        ExceptionDispatchInfo? failure = null;
        try
        {
            try
            {
                await next(context);
                if (IsBareError(context)) await ErrorHandling.StatusPage(context).ExecuteAsync(context);
            }
            // A client that stops mid-body or sends one that cannot be read is at fault, not the server: a 400 logged at
            // debug without a stack trace (an unhandled failure is logged at error, 2 KB a request, so anyone could flood
            // the log). A client that reset the connection gets no answer at all.
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                clientLog.LogDebug("{Method} {Path}: the request could not be read ({Message})", context.Request.Method, context.Request.Path, e.Message);
                context.Response.Clear();
                context.Response.Headers.Connection = "close"; // as RejectionResult does for a body cut short
                await ApiError.Result(e.StatusCode, "The request could not be read.").ExecuteAsync(context);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException && context.RequestAborted.IsCancellationRequested)
            {
                clientLog.LogDebug("{Method} {Path}: the client went away ({Message})", context.Request.Method, context.Request.Path, e.Message);
            }
        }
        catch (Exception e)
        {
            failure = ExceptionDispatchInfo.Capture(e); // answered outside the catch block, as ASP.NET's handler does, for the stack's sake
        }
        if (failure is not null) await AnswerFailureAsync(context, failure);
    }

    /// <summary>An error status that nothing wrote a body for (no route, wrong method): what the status code pages answered.</summary>
    private static bool IsBareError(HttpContext context)
    {
        var response = context.Response;
        return !response.HasStarted && response.StatusCode is >= 400 and < 600 && response.ContentLength is null
            && string.IsNullOrEmpty(response.ContentType)
            && context.GetEndpoint()?.Metadata.GetMetadata<ISkipStatusCodePagesMetadata>() is null;
    }

    /// <summary>An exception nothing else caught: answered as <see cref="ErrorHandling.Classify"/> says, as ASP.NET's exception handler did with our handler.</summary>
    private async Task AnswerFailureAsync(HttpContext context, ExceptionDispatchInfo failure)
    {
        var error = failure.SourceException;
        var response = context.Response;
        if (error is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            RequestAborted(serverLog, null);
            if (!response.HasStarted) response.StatusCode = StatusCodes.Status499ClientClosedRequest;
            return;
        }
        if (response.HasStarted)
        {
            ResponseStarted(serverLog, null);
            Unhandled(serverLog, error);
            failure.Throw();
        }
        try
        {
            ForgetEndpoint(context);
            response.Clear();
            response.StatusCode = StatusCodes.Status500InternalServerError;
            response.OnStarting(static state => ClearCacheHeaders((HttpResponse)state), response);
            var (status, message) = ErrorHandling.Classify(error);
            if (status == StatusCodes.Status503ServiceUnavailable) response.Headers.RetryAfter = "5";
            if (status == StatusCodes.Status507InsufficientStorage) response.Headers.RetryAfter = ErrorHandling.DiskFullRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await ApiError.Result(status, message).ExecuteAsync(context);
            Unhandled(serverLog, error);
            return;
        }
        catch (Exception answering)
        {
            HandlerFailed(serverLog, answering);
            Unhandled(serverLog, error);
        }
        failure.Throw(); // the answer itself failed: the server aborts the request, as it did
    }

    /// <summary>As ASP.NET's handler does: the endpoint that failed is no longer the request's, but is kept for the request's metrics.</summary>
    private static void ForgetEndpoint(HttpContext context)
    {
        if (context.GetEndpoint() is { } endpoint)
        {
            context.Items["__OriginalEndpoint"] = endpoint;
            context.SetEndpoint(null);
        }
        if (context.Features.Get<IRouteValuesFeature>() is { } routeValues) routeValues.RouteValues = null!;
    }

    /// <summary>An error answer must not be cached: a 503 now may be a 200 in five seconds.</summary>
    private static Task ClearCacheHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.CacheControl = "no-cache,no-store";
        headers.Pragma = "no-cache";
        headers.Expires = "-1";
        headers.ETag = default;
        return Task.CompletedTask;
    }

    private static readonly Action<ILogger, Exception?> Unhandled = LoggerMessage.Define(LogLevel.Error,
        new EventId(1, "UnhandledException"), "An unhandled exception has occurred while executing the request.");

    private static readonly Action<ILogger, Exception?> ResponseStarted = LoggerMessage.Define(LogLevel.Warning,
        new EventId(2, "ResponseStarted"), "The response has already started, the error handler will not be executed.");

    private static readonly Action<ILogger, Exception?> HandlerFailed = LoggerMessage.Define(LogLevel.Error,
        new EventId(3, "Exception"), "An exception was thrown attempting to execute the error handler.");

    private static readonly Action<ILogger, Exception?> RequestAborted = LoggerMessage.Define(LogLevel.Debug,
        new EventId(4, "RequestAborted"), "The request was aborted by the client.");
}
