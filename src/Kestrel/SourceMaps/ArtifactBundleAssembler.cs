using System.Security.Cryptography;
using Dapper;
using Kestrel.Platform;
using Kestrel.Projects;

namespace Kestrel.SourceMaps;

/// <summary>sentry-cli's <c>artifactbundle/assemble</c> request (also the 2.x release-bundle assemble, which has no version field).</summary>
public sealed record AssembleRequest(string? Checksum, List<string>? Chunks, List<string>? Projects, string? Version, string? Dist);

/// <summary>The answer sentry-cli expects: <c>missingChunks</c> is required, <c>detail</c> is shown on error.</summary>
public sealed record AssembleResponse(string State, IReadOnlyList<string> MissingChunks, string? Detail = null);

/// <summary>
/// The chunked upload of sentry-cli: chunks arrive named by their SHA-1 and wait in the database (upload_chunks); assemble
/// joins them in the order given, checks the whole file's SHA-1, reads the bundle and stores its maps and
/// scripts through <see cref="SourceMapStore"/>. Answers <c>not_found</c> with the missing chunks until all
/// are there, and <c>ok</c> once stored (again for repeated calls with the same checksum).
/// </summary>
public sealed class ArtifactBundleAssembler(Database database, DatabaseWriter writer, SourceMapStore store, TimeProvider time, ILogger<ArtifactBundleAssembler> logger)
{
    public const int ChunkSize = 8 * 1024 * 1024;           // a power of two, as sentry-cli ≤ 2.39 requires
    public const int MaxChunksPerBundle = 32;                 // so a bundle is at most 256 MiB, held in memory while read
    private const long StaleChunkMs = 24 * 3600 * 1000;

    public static bool IsSha1(string? s) => s is { Length: 40 } && s.All(char.IsAsciiHexDigitLower);

    public Task SaveChunksAsync(long projectId, IReadOnlyList<(string Sha1, byte[] Data)> chunks, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return writer.WriteAsync(session =>
        {
            session.Connection.Execute("DELETE FROM upload_chunks WHERE received_at < @stale", new { stale = now - StaleChunkMs }, session.Transaction);
            foreach (var (sha1, data) in chunks)
                session.Connection.Execute("""
                    INSERT INTO upload_chunks (project_id, sha1, data, received_at) VALUES (@projectId, @sha1, @data, @now)
                    ON CONFLICT (project_id, sha1) DO UPDATE SET received_at = excluded.received_at
                    """, new { projectId, sha1, data, now }, session.Transaction);
            return 0;
        }, cancellationToken);
    }

    public async Task<AssembleResponse> AssembleAsync(Project project, AssembleRequest request, string? releaseFromPath, CancellationToken cancellationToken)
    {
        if (!IsSha1(request.Checksum)) return Error("checksum must be the 40-character lowercase SHA-1 of the bundle.");
        if (request.Chunks is not { Count: > 0 } chunks || chunks.Count > MaxChunksPerBundle || !chunks.All(IsSha1))
            return Error($"chunks must list 1 to {MaxChunksPerBundle} lowercase SHA-1 checksums.");
        if (request.Projects is { Count: > 0 } projects && !projects.Contains(project.Slug))
            return Error($"This token belongs to project '{project.Slug}', not to {string.Join(", ", projects.Select(p => $"'{p}'"))}.");
        var release = string.IsNullOrEmpty(releaseFromPath) ? (string.IsNullOrEmpty(request.Version) ? null : request.Version) : releaseFromPath;
        if (release is not null && ReleaseNames.TryEncode(release, out var releaseError) is null) return Error(releaseError!);

        using (var connection = database.Connect())
        {
            if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM artifact_bundles WHERE project_id = @projectId AND checksum = @checksum",
                    new { projectId = project.Id, checksum = request.Checksum }) > 0)
                return new AssembleResponse("ok", []);
            var present = connection.Query<string>($"SELECT sha1 FROM upload_chunks WHERE project_id = @projectId AND sha1 {Sql.InList(connection, "@chunks")}",
                new { projectId = project.Id, chunks = chunks.ToArray() }).ToHashSet(StringComparer.Ordinal);
            var missing = chunks.Where(c => !present.Contains(c)).Distinct().ToList();
            if (missing.Count > 0) return new AssembleResponse("not_found", missing);
        }

        var blob = JoinChunks(project.Id, chunks);
        if (Convert.ToHexStringLower(SHA1.HashData(blob)) != request.Checksum)
            return Error("The chunks put together do not match checksum; upload again.");

        ArtifactBundle.Contents contents;
        try { contents = ArtifactBundle.Read(blob); }
        catch (InvalidDataException e) { return Error($"The bundle cannot be read: {e.Message}"); }
        release ??= contents.Release;
        var dist = string.IsNullOrEmpty(request.Dist) ? contents.Dist ?? "" : request.Dist;
        if (dist.Length > 0 && ReleaseNames.TryEncode(dist, out var distError) is null) return Error("dist: " + distError);

        var files = new List<NewSourceFile>();
        foreach (var file in contents.Files)
        {
            var relative = ArtifactPaths.UrlPath(file.Url);
            var pathError = ArtifactPaths.Check(relative) ?? (relative.StartsWith('~') ? "it starts with '~'." : null);
            if (pathError is not null) return Error($"The bundle's file {file.Url} cannot be stored: {pathError}");
            var (taken, error) = ArtifactIntake.Take(relative, file.Url, file.Type, file.Content, file.Headers);
            if (error is not null) return Error(error);
            // Without a release a file is only found by debug ID; one without either could never be used.
            files.AddRange(taken!.Where(f => release is not null || f.DebugId is not null));
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        try
        {
            if (release is not null) await store.SaveAsync(project.Id, project.Slug, release, dist, files, now, cancellationToken);
            else foreach (var byId in files.GroupBy(f => f.DebugId))
                    await store.SaveAsync(project.Id, project.Slug, null, dist, byId.ToList(), now, cancellationToken);
        }
        catch (SourceFileStoreException e) { return Error(e.Message); }

        await writer.WriteAsync(session =>
        {
            session.Connection.Execute("""
                INSERT INTO artifact_bundles (project_id, checksum, release, dist, file_count, assembled_at) VALUES (@projectId, @checksum, @release, @dist, @count, @now)
                ON CONFLICT DO NOTHING
                """, new { projectId = project.Id, checksum = request.Checksum, release, dist, count = files.Count, now }, session.Transaction);
            session.Connection.Execute($"DELETE FROM upload_chunks WHERE project_id = @projectId AND sha1 {Sql.InList(session.Connection, "@chunks")}",
                new { projectId = project.Id, chunks = chunks.ToArray() }, session.Transaction);
            return 0;
        }, cancellationToken);
        logger.LogInformation("Stored {Count} files from an artifact bundle for project {Project}, release {Release}", files.Count, project.Slug, release ?? "(none)");
        return new AssembleResponse("ok", []);
    }

    private byte[] JoinChunks(long projectId, List<string> chunks)
    {
        using var connection = database.Connect();
        var data = connection.Query<(string Sha1, byte[] Data)>($"SELECT sha1, data FROM upload_chunks WHERE project_id = @projectId AND sha1 {Sql.InList(connection, "@chunks")}",
            new { projectId, chunks = chunks.ToArray() }).ToDictionary(c => c.Sha1, c => c.Data, StringComparer.Ordinal);
        using var blob = new MemoryStream();
        foreach (var sha1 in chunks) blob.Write(data[sha1]);
        return blob.ToArray();
    }

    private static AssembleResponse Error(string detail) => new("error", [], detail);
}
