using System.Globalization;
using Kestrel.Platform;

namespace Kestrel.SourceMaps;

/// <summary>
/// Source-map uploads stop, as ingest does, while the data directory's disk has less than <c>disk.min_free_mb</c>
/// free: <c>507</c> with <c>Retry-After: 60</c>. An upload is checked before its body is read (a multipart body
/// is buffered, and a big one would spill to a temporary file) and again just before it is written, since reading
/// a large upload takes a while; a refused upload writes nothing. The body carries the sentence twice: as
/// <c>error</c>, like every Kestrel API error, and as <c>detail</c>, which is what sentry-cli prints.
/// </summary>
/// <remarks>
/// On PostgreSQL uploads do not go to the data directory but into the database (<see cref="SourceContents"/>), whose disk
/// this node cannot see: the guard never refuses there (<see cref="DiskGuard.IsLow"/>), and PostgreSQL's own refusal
/// for lack of disk is answered the same way, 507 with the sentence, and nothing stored (<see cref="SourceMapStore"/>).
/// </remarks>
public static class UploadDiskGuard
{
    private const int RetryAfterSeconds = 60;

    public static TBuilder RequireDiskSpace<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) => Refusal(context.HttpContext) ?? await next(context));

    /// <summary>The refusal when the disk is low, else null.</summary>
    public static IResult? Refusal(HttpContext http)
    {
        var disk = http.RequestServices.GetRequiredService<DiskGuard>();
        if (!disk.IsLow) return null;
        var message = $"The server's disk has less than {disk.MinFreeBytes / 1024 / 1024} MB free, so it accepts no uploads until space is freed.";
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return Results.Json(new { error = message, detail = message }, KestrelJson.Options, statusCode: StatusCodes.Status507InsufficientStorage);
    }
}
