using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Kestrel.Platform;
using Kestrel.Projects;

namespace Kestrel.SourceMaps;

/// <summary>
/// The part of Sentry's web API that unmodified sentry-cli 3.x and 2.x call to upload source maps
/// (reference §6). Any organisation name is accepted; the project is the token's, and a project slug in
/// a path or body must be its slug. Release names in paths are read raw (see <see cref="RawPath"/>).
/// </summary>
public static class SentryCliEndpoints
{
    private static readonly JsonSerializerOptions BodyJson = new(JsonSerializerDefaults.Web) { MaxDepth = 8 };

    public static void MapSentryCli(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/0").RequireProject(allowPublicKey: false);
        api.MapGet("/", () => Results.Json(new { auth = new { scopes = new[] { "project:read", "project:releases", "org:ci" } }, user = (object?)null }));

        var org = api.MapGroup("/organizations/{org}");
        org.MapGet("/chunk-upload/", ChunkUploadOptions);
        org.MapPost("/chunk-upload/", UploadChunks).RequireDiskSpace();
        org.MapPost("/artifactbundle/assemble/", (HttpContext http, Caller caller, ArtifactBundleAssembler assembler, CancellationToken ct) =>
            Assemble(http, caller, assembler, null, ct)).RequireDiskSpace();
        org.MapPost("/releases/{version}/assemble/", (HttpContext http, Caller caller, ArtifactBundleAssembler assembler, CancellationToken ct) =>
            Assemble(http, caller, assembler, RawPath.Segment(http, 5), ct)).RequireDiskSpace();
        MapReleases(org, versionSegment: 5);

        // 2.x: the same release calls under the project.
        var project = api.MapGroup("/projects/{org}/{project}").AddEndpointFilter(async (context, next) =>
        {
            var caller = ProjectAuthentication.Authenticate(context.HttpContext)!;
            var slug = context.HttpContext.Request.RouteValues["project"] as string;
            return slug == caller.Project.Slug ? await next(context) : ApiError.NotFound($"Project '{slug}' is not the project of this token.");
        });
        MapReleases(project, versionSegment: 6);

        // Anything else sentry-cli may try: say so plainly, and log it so unsupported calls are found.
        api.Map("/{**rest}", (HttpContext http, ILogger<SourceMapStore> logger) =>
        {
            logger.LogInformation("sentry-cli API call not supported: {Method} {Path}", http.Request.Method, http.Request.Path);
            return ApiError.NotFound($"Kestrel does not implement {http.Request.Method} {http.Request.Path} of Sentry's API.");
        });
    }

    /// <summary>Release calls, the same under the organisation (3.x) and the project (2.x); the version is path segment <paramref name="versionSegment"/>.</summary>
    private static void MapReleases(RouteGroupBuilder group, int versionSegment)
    {
        group.MapPost("/releases/", (HttpContext http, Caller caller, SourceMapStore store, TimeProvider time, CancellationToken ct) =>
            NewRelease(http, caller, store, time, ct));
        group.MapMethods("/releases/{version}/", ["GET", "PUT"], (HttpContext http, Caller caller, SourceMapStore store, TimeProvider time, CancellationToken ct) =>
            ReleaseDetails(http, caller, store, time, RawPath.Segment(http, versionSegment), ct));
        group.MapGet("/releases/{version}/files/", (HttpContext http, Caller caller, SourceMapStore store) =>
            ListFiles(caller, store, RawPath.Segment(http, versionSegment)));
        group.MapPost("/releases/{version}/files/", (HttpContext http, Caller caller, SourceMapStore store, TimeProvider time, CancellationToken ct) =>
            UploadFile(http, caller, store, time, RawPath.Segment(http, versionSegment), ct)).RequireDiskSpace();
    }

    private static IResult ChunkUploadOptions(string org) => Results.Json(new
    {
        // Relative to the CLI's own {url}/api/0/ (as Sentry answers sentry-cli >= 1.70.1), so it holds behind a
        // proxy that changes scheme or host.
        url = $"organizations/{Uri.EscapeDataString(org)}/chunk-upload/",
        chunkSize = ArtifactBundleAssembler.ChunkSize,
        chunksPerRequest = 8,
        maxRequestSize = 64 * 1024 * 1024,
        maxFileSize = (long)ArtifactBundleAssembler.ChunkSize * ArtifactBundleAssembler.MaxChunksPerBundle,
        maxWait = 60,
        hashAlgorithm = "sha1",
        concurrency = 2,
        compression = new[] { "gzip" },
        // sentry-cli 3.x ignores this; 2.x takes the artifact-bundle path when it sees these.
        accept = new[] { "release_files", "artifact_bundles", "artifact_bundles_v2", "sources" },
    });

    private static async Task<IResult> UploadChunks(HttpContext http, Caller caller, ArtifactBundleAssembler assembler, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType) return ApiError.BadRequest("Chunks are sent as multipart/form-data parts named file or file_gzip.");
        var (form, error) = await SourceMapEndpoints.ReadFormAsync(http, cancellationToken);
        if (error is not null) return error;
        var chunks = new List<(string, byte[])>();
        foreach (var part in form!.Files)
        {
            if (part.Name is not ("file" or "file_gzip")) continue;
            var sha1 = part.FileName.ToLowerInvariant();
            if (!ArtifactBundleAssembler.IsSha1(sha1)) return ApiError.BadRequest("Each chunk's file name must be its SHA-1 in hex.");
            byte[] data;
            try { data = await ReadChunkAsync(part, gzip: part.Name == "file_gzip", cancellationToken); }
            catch (InvalidDataException e) { return ApiError.BadRequest($"Chunk {sha1}: {e.Message}"); }
            if (Convert.ToHexStringLower(SHA1.HashData(data)) != sha1) return ApiError.BadRequest($"Chunk {sha1} does not match its SHA-1.");
            chunks.Add((sha1, data));
        }
        if (chunks.Count == 0) return ApiError.BadRequest("No chunks: send parts named file or file_gzip.");
        if (UploadDiskGuard.Refusal(http) is { } diskFull) return diskFull;
        await assembler.SaveChunksAsync(caller.ProjectId, chunks, cancellationToken);
        return Results.Ok();
    }

    /// <summary>A chunk's bytes, gunzipped if need be, refusing more than one chunk's worth (a gzip bomb).</summary>
    private static async Task<byte[]> ReadChunkAsync(IFormFile part, bool gzip, CancellationToken cancellationToken)
    {
        await using var raw = part.OpenReadStream();
        await using Stream source = gzip ? new GZipStream(raw, CompressionMode.Decompress) : raw;
        using var buffer = new MemoryStream();
        var block = new byte[81920];
        int read;
        while ((read = await source.ReadAsync(block, cancellationToken)) > 0)
        {
            if (buffer.Length + read > ArtifactBundleAssembler.ChunkSize) throw new InvalidDataException($"a chunk may hold at most {ArtifactBundleAssembler.ChunkSize} bytes.");
            buffer.Write(block, 0, read);
        }
        return buffer.ToArray();
    }

    private static async Task<IResult> Assemble(HttpContext http, Caller caller, ArtifactBundleAssembler assembler, string? release, CancellationToken cancellationToken)
    {
        if (await ReadBodyAsync<AssembleRequest>(http, cancellationToken) is not { } request)
            return ApiError.BadRequest("The body must be JSON such as {\"checksum\": \"<sha1>\", \"chunks\": [\"<sha1>\"]}.");
        if (UploadDiskGuard.Refusal(http) is { } diskFull) return diskFull;
        var response = await assembler.AssembleAsync(caller.Project, request, release, cancellationToken);
        return Results.Json(response, KestrelJson.Options);
    }

    private sealed record ReleaseBody(string? Version, List<string>? Projects, DateTimeOffset? DateReleased);

    private static async Task<IResult> NewRelease(HttpContext http, Caller caller, SourceMapStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await ReadBodyAsync<ReleaseBody>(http, cancellationToken) is not { Version: { } version } body)
            return ApiError.BadRequest("The body must be JSON with a version, such as {\"version\": \"1.0.0\"}.");
        if (body.Projects is { Count: > 0 } projects && !projects.Contains(caller.Project.Slug))
            return ApiError.BadRequest($"This token belongs to project '{caller.Project.Slug}'.");
        if (ReleaseNames.TryEncode(version, out var error) is null) return ApiError.BadRequest(error!);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (body.DateReleased is not null) await store.FinalizeReleaseAsync(caller.ProjectId, version, now, cancellationToken);
        else await store.EnsureReleaseAsync(caller.ProjectId, version, now, cancellationToken);
        return Results.Json(ReleaseView(caller, store, version), statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ReleaseDetails(HttpContext http, Caller caller, SourceMapStore store, TimeProvider time, string? version, CancellationToken cancellationToken)
    {
        if (version is null || ReleaseNames.TryEncode(version, out var error) is null) return ApiError.BadRequest("The release in the path is not a valid release name.");
        if (HttpMethods.IsPut(http.Request.Method))
        {
            var body = await ReadBodyAsync<ReleaseBody>(http, cancellationToken);
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            if (body?.DateReleased is not null) await store.FinalizeReleaseAsync(caller.ProjectId, version, now, cancellationToken);
            else await store.EnsureReleaseAsync(caller.ProjectId, version, now, cancellationToken);
        }
        else if (store.FindRelease(caller.ProjectId, version) is null) return ApiError.NotFound($"Release '{version}' does not exist.");
        return Results.Json(ReleaseView(caller, store, version));
    }

    /// <summary>The release fields sentry-cli reads; <c>version</c> and <c>dateCreated</c> are required by it.</summary>
    private static object ReleaseView(Caller caller, SourceMapStore store, string version)
    {
        var found = store.FindRelease(caller.ProjectId, version);
        var created = DateTime.UnixEpoch.AddMilliseconds(found?.CreatedAt ?? 0);
        return new Dictionary<string, object?>
        {
            ["version"] = version,
            ["shortVersion"] = version,
            ["ref"] = null,
            ["url"] = null,
            ["dateCreated"] = created,
            ["dateReleased"] = found?.FinalizedAt is { } f ? DateTime.UnixEpoch.AddMilliseconds(f) : null,
            ["lastEvent"] = null,
            ["newGroups"] = 0,
            ["projects"] = new[] { new { slug = caller.Project.Slug, name = caller.Project.Name } },
        };
    }

    private static IResult ListFiles(Caller caller, SourceMapStore store, string? version) =>
        version is null
            ? ApiError.BadRequest("The release in the path is not a valid release name.")
            : Results.Json(store.ListFiles(caller.ProjectId, version).Select(FileView));

    /// <summary>sentry-cli 2.x's per-file upload: parts <c>file</c>, <c>name</c> (artifact URL), <c>dist</c>, and <c>header</c> ("Key:Value").</summary>
    private static async Task<IResult> UploadFile(HttpContext http, Caller caller, SourceMapStore store, TimeProvider time, string? version, CancellationToken cancellationToken)
    {
        if (version is null || ReleaseNames.TryEncode(version, out var releaseError) is null) return ApiError.BadRequest("The release in the path is not a valid release name.");
        if (!http.Request.HasFormContentType) return ApiError.BadRequest("Send the file as multipart/form-data.");
        var (form, formError) = await SourceMapEndpoints.ReadFormAsync(http, cancellationToken);
        if (formError is not null) return formError;
        if (form!.Files.GetFile("file") is not { } part) return ApiError.BadRequest("The upload has no part named file.");
        var url = form["name"].FirstOrDefault() is { Length: > 0 } n ? n : "~/" + part.FileName;
        var dist = form["dist"].FirstOrDefault() ?? "";
        if (dist.Length > 0 && ReleaseNames.TryEncode(dist, out var distError) is null) return ApiError.BadRequest("dist: " + distError);
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var header in form["header"])
        {
            var colon = header?.IndexOf(':') ?? -1;
            if (colon > 0) headers[header![..colon].Trim().ToLowerInvariant()] = header[(colon + 1)..].Trim();
        }
        var relative = ArtifactPaths.UrlPath(url);
        if (ArtifactPaths.Check(relative) is { } pathError) return ApiError.BadRequest(pathError);
        if (relative.StartsWith('~')) return ApiError.BadRequest($"File name '{relative}' starts with '~', which Kestrel keeps for its own folders.");
        await using var stream = part.OpenReadStream();
        var content = new byte[part.Length];
        await stream.ReadExactlyAsync(content, cancellationToken);
        var (files, error) = ArtifactIntake.Take(relative, url, null, content, headers);
        if (error is not null) return ApiError.BadRequest(error);
        if (UploadDiskGuard.Refusal(http) is { } diskFull) return diskFull;
        IReadOnlyList<SourceFile> saved;
        try { saved = await store.SaveAsync(caller.ProjectId, caller.Project.Slug, version, dist, files!, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken); }
        catch (SourceFileStoreException e) { return ApiError.Result(e.StatusCode, e.Message); }
        return Results.Json(FileView(saved[0]), statusCode: StatusCodes.Status201Created);
    }

    private static object FileView(SourceFile f) => new
    {
        id = f.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        sha1 = f.Sha1,
        name = f.Url,
        size = f.Size,
        dist = f.Dist.Length == 0 ? null : f.Dist,
        headers = new Dictionary<string, string?>
        {
            ["Sourcemap"] = f.SourcemapRef,
            ["debug-id"] = f.DebugId,
        }.Where(h => h.Value is not null).ToDictionary(),
        dateCreated = DateTime.UnixEpoch.AddMilliseconds(f.UploadedAt),
    };

    private static async Task<T?> ReadBodyAsync<T>(HttpContext http, CancellationToken cancellationToken) where T : class
    {
        try { return await JsonSerializer.DeserializeAsync<T>(http.Request.Body, BodyJson, cancellationToken); }
        catch (Exception e) when (e is JsonException or BadHttpRequestException or NotSupportedException) { return null; }
    }
}
