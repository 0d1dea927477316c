using Kestrel.Platform;
using Kestrel.Projects;
using Microsoft.AspNetCore.Http.Features;

namespace Kestrel.SourceMaps;

/// <summary>
/// Kestrel's own release and source-map API (bearer project token):
/// <c>GET /api/releases</c>; <c>POST|GET|DELETE /api/releases/{release}/sourcemaps</c>. A release name
/// holding <c>/</c> is sent percent-encoded (<c>%2F</c>); it is read from the raw request target, so
/// <c>%2F</c> and a literal <c>%</c> in a name both survive.
/// </summary>
public static class SourceMapEndpoints
{
    /// <summary>Largest upload request; sentry-cli chunks and this endpoint's multipart bodies alike.</summary>
    public const long MaxUploadBytes = 100L * 1024 * 1024;
    private const int MaxFilesPerUpload = 1000;

    public static IServiceCollection AddSourceMaps(this IServiceCollection services) => services
        .AddSingleton<SourceMapStore>()
        .AddSingleton(s => new SourceMapCache(s.GetRequiredService<KestrelOptions>().SourceMapCacheMegabytes * 1024L * 1024))
        .AddSingleton<SourceMapResolver>()
        .AddSingleton<ArtifactBundleAssembler>();

    public static void MapSourceMaps(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/releases").RequireProject(allowPublicKey: false);
        group.MapGet("", ListReleases);
        group.MapPost("/{release}/sourcemaps", Upload).RequireDiskSpace();
        group.MapGet("/{release}/sourcemaps", List);
        group.MapDelete("/{release}/sourcemaps", Delete);
        app.MapSentryCli();
    }

    /// <summary>
    /// A page of releases, newest first (<c>limit</c> 1–1000, default 100); <c>next</c> is the cursor of the next
    /// page. The first page also lists files uploaded without a release, by debug ID (<c>withoutRelease</c>).
    /// </summary>
    private static IResult ListReleases(Caller caller, SourceMapStore store, string? limit, string? cursor)
    {
        var take = 100;
        if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out take) || take is < 1 or > 1000))
            return ApiError.BadRequest("limit must be a whole number from 1 to 1000.");
        if (cursor is not null && Kestrel.Issues.Cursor.Decode(cursor, 2) is null)
            return ApiError.BadRequest("cursor must be the next value of an earlier answer.");
        var (releases, next) = store.ListReleases(caller.ProjectId, take, cursor);
        // Bundles uploaded without a release (debug IDs only) belong to none, so they come with the first page.
        var withoutRelease = cursor is null ? store.ListWithoutRelease(caller.ProjectId, take) : null;
        return Results.Json(new { releases, next, withoutRelease = withoutRelease is { Count: > 0 } ? withoutRelease : null }, KestrelJson.Options);
    }

    private static async Task<IResult> Upload(HttpContext http, Caller caller, SourceMapStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (ReleaseFromPath(http) is not { } release) return BadReleaseName(http);
        if (ReleaseNames.TryEncode(release, out var releaseError) is null) return ApiError.BadRequest(releaseError!);
        if (!http.Request.HasFormContentType || !http.Request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return ApiError.BadRequest("Send the maps as multipart/form-data, one file part per map, e.g. curl -F 'file=@app.min.js.map;filename=static/js/app.min.js.map'.");
        var form = await ReadFormAsync(http, cancellationToken);
        if (form.Error is not null) return form.Error;

        var files = new List<NewSourceFile>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in form.Form!.Files)
        {
            var name = part.FileName;
            if (ArtifactPaths.Check(name) is { } pathError) return ApiError.BadRequest(pathError);
            if (name.StartsWith('~')) return ApiError.BadRequest($"File name '{name}' starts with '~', which Kestrel keeps for its own folders.");
            if (!names.Add(name)) return ApiError.BadRequest($"File {name} is in the upload twice.");
            await using var stream = part.OpenReadStream();
            var content = new byte[part.Length];
            await stream.ReadExactlyAsync(content, cancellationToken);
            var (taken, error) = ArtifactIntake.Take(name, "~/" + name, null, content);
            if (error is not null) return ApiError.BadRequest(error);
            files.AddRange(taken!);
        }
        if (files.Count == 0) return ApiError.BadRequest("The upload holds no files; send one file part per map, with its relative path as the file name.");
        if (files.Count > MaxFilesPerUpload) return ApiError.BadRequest($"An upload may hold at most {MaxFilesPerUpload} files.");

        if (UploadDiskGuard.Refusal(http) is { } diskFull) return diskFull;
        IReadOnlyList<SourceFile> saved;
        try { saved = await store.SaveAsync(caller.ProjectId, caller.Project.Slug, release, "", files, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken); }
        catch (SourceFileStoreException e) { return ApiError.Result(e.StatusCode, e.Message); }
        return Results.Json(new { release, files = saved.Select(FileView.From) }, KestrelJson.Options, statusCode: StatusCodes.Status201Created);
    }

    private static IResult List(HttpContext http, Caller caller, SourceMapStore store)
    {
        if (ReleaseFromPath(http) is not { } release) return BadReleaseName(http);
        if (store.FindRelease(caller.ProjectId, release) is not { } found) return ApiError.NotFound($"Release '{release}' does not exist in this project.");
        return Results.Json(new
        {
            release,
            createdAt = DateTime.UnixEpoch.AddMilliseconds(found.CreatedAt),
            finalizedAt = found.FinalizedAt is { } f ? DateTime.UnixEpoch.AddMilliseconds(f) : (DateTime?)null,
            files = store.ListFiles(caller.ProjectId, release).Select(FileView.From),
        }, KestrelJson.Options);
    }

    /// <summary>Removes every file of the release, or only <c>?file=static/js/app.min.js.map</c>.</summary>
    private static async Task<IResult> Delete(HttpContext http, Caller caller, SourceMapStore store, string? file, CancellationToken cancellationToken)
    {
        if (ReleaseFromPath(http) is not { } release) return BadReleaseName(http);
        var removed = await store.DeleteAsync(caller.ProjectId, release, file is null ? null : ArtifactPaths.UrlPath(file), cancellationToken);
        if (removed.Count == 0)
            return ApiError.NotFound(file is null ? $"Release '{release}' has no files in this project." : $"Release '{release}' has no file {file}.");
        return Results.Json(new { release, deleted = removed.Select(FileView.From) }, KestrelJson.Options);
    }

    public sealed record FileView(string Name, string Url, string Kind, string? Dist, string? DebugId, string? SourceMappingUrl, long Size, string Sha1, DateTime UploadedAt)
    {
        public static FileView From(SourceFile f) => new(f.UrlPath, f.Url, f.Kind, f.Dist.Length == 0 ? null : f.Dist, f.DebugId, f.SourcemapRef,
            f.Size, f.Sha1, DateTime.UnixEpoch.AddMilliseconds(f.UploadedAt));
    }

    /// <summary>Reads a multipart form of up to <see cref="MaxUploadBytes"/>, above the server-wide body limit meant for events.</summary>
    internal static async Task<(IFormCollection? Form, IResult? Error)> ReadFormAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxUploadBytes;
        try
        {
            var form = await http.Request.ReadFormAsync(new FormOptions
            {
                MultipartBodyLengthLimit = MaxUploadBytes,
                ValueCountLimit = MaxFilesPerUpload * 4,
                MultipartHeadersLengthLimit = 16 * 1024,
            }, cancellationToken);
            return (form, null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, ApiError.TooLarge($"An upload may be at most {MaxUploadBytes / 1024 / 1024} MiB."));
        }
        catch (InvalidDataException e)
        {
            return (null, e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                ? ApiError.TooLarge($"An upload may be at most {MaxUploadBytes / 1024 / 1024} MiB and {MaxFilesPerUpload} files.")
                : ApiError.BadRequest($"The multipart body is malformed: {e.Message}"));
        }
        catch (IOException e)
        {
            return (null, ApiError.BadRequest($"The multipart body could not be read: {e.Message}"));
        }
    }

    /// <summary>The release segment of /api/releases/{release}/..., percent-decoded once from the raw target.</summary>
    private static string? ReleaseFromPath(HttpContext http) => RawPath.Segment(http, 2);

    private static IResult BadReleaseName(HttpContext http) =>
        ApiError.BadRequest("The release name in the path is not valid percent-encoded UTF-8.");
}
