using System.Security.Cryptography;
using Dapper;
using Kestrel.Platform;
using Npgsql;

namespace Kestrel.SourceMaps;

/// <summary>
/// A stored map or minified file. <see cref="FilePath"/> is relative to the data directory's sourcemaps/ (and is the file's
/// place in an archive on either engine); <see cref="Sha256"/> names its content (null for files stored before it was recorded).
/// </summary>
public sealed record SourceFile(long Id, long ProjectId, string? Release, string Dist, string Url, string UrlPath, string Kind,
    string? DebugId, string? SourcemapRef, string FilePath, long Size, string Sha1, long UploadedAt, string? Sha256)
{
    public const string SourceMapKind = "source_map";
    public const string MinifiedKind = "minified_source";
}

/// <summary>A file to store: its artifact URL (<c>~/static/js/app.min.js.map</c>), its path below the release directory, its bytes.</summary>
public sealed record NewSourceFile(string Url, string RelativePath, string Kind, byte[] Content, string? DebugId, string? SourcemapRef);

/// <summary>An upload that cannot be stored; the message names the file, not the server's paths.</summary>
/// <param name="diskFull">PostgreSQL refused the write for lack of disk (answered 507, as the data directory's guard answers on SQLite)</param>
public sealed class SourceFileStoreException(string message, bool diskFull = false) : Exception(message)
{
    public int StatusCode => diskFull ? StatusCodes.Status507InsufficientStorage : StatusCodes.Status409Conflict;
}

public sealed record ReleaseSummary(string Name, DateTime CreatedAt, DateTime? FinalizedAt, long Files);

/// <summary>Files uploaded without a release that carry one debug ID (a script and its map, as <c>sentry-cli sourcemaps inject</c> pairs them).</summary>
public sealed record DebugIdFiles(string? DebugId, IReadOnlyList<string> Files, DateTime UploadedAt);

/// <summary>
/// Maps and minified files and their index (<c>source_files</c>). On SQLite the files live on disk under
/// <c>sourcemaps/&lt;project&gt;/&lt;release&gt;/&lt;file&gt;</c>: written to temporary names first and renamed into place,
/// then indexed in one write job, so an upload is stored whole or not at all (a crash between the two leaves unindexed
/// files, never an index entry without its file). On PostgreSQL the bytes go into the database instead
/// (<see cref="SourceContents"/>, content-addressed, committed before the index in the same order), so every node reads
/// what any node stored. Every method is scoped to one project. Without a writer (a process that only reads, such as
/// <c>kestrel mcp</c> over stdio) the store can find and read files but not change them.
/// </summary>
public sealed class SourceMapStore(Database database, DatabaseWriter? writer, KestrelOptions options, ILogger<SourceMapStore> logger)
{
    private DatabaseWriter Writer => writer ?? throw new InvalidOperationException("This source-map store was made for reading only.");
    private bool InDatabase => database.Engine == DatabaseEngine.Postgres;

    private long generation;

    public string Root { get; } = Path.Combine(Path.GetFullPath(options.DataDirectory), "sourcemaps");

    /// <summary>Goes up on every change to any project's files, so lookups remembered elsewhere can tell they are stale.</summary>
    public long Generation => Interlocked.Read(ref generation);

    /// <summary>The directory (relative to <see cref="Root"/>) files of this release and dist go to.</summary>
    public static string Directory(string projectSlug, string? release, string dist, string? debugId)
    {
        var releaseDirectory = release is null ? ReleaseNames.NoRelease + "/" + (debugId ?? "no-debug-id") : ReleaseNames.Encode(release);
        // A dist gets a folder of its own whose name starts with '~', which uploaded file names may not.
        var distDirectory = dist.Length == 0 ? "" : "/~dist-" + ReleaseNames.Encode(dist);
        return projectSlug + "/" + releaseDirectory + distDirectory;
    }

    public async Task<IReadOnlyList<SourceFile>> SaveAsync(long projectId, string projectSlug, string? release, string dist,
        IReadOnlyList<NewSourceFile> files, long nowMs, CancellationToken cancellationToken)
    {
        var rows = files.Select(file => new SourceFile(0, projectId, release, dist, file.Url, ArtifactPaths.UrlPath(file.Url), file.Kind, file.DebugId,
            file.SourcemapRef, Directory(projectSlug, release, dist, release is null ? file.DebugId : null) + "/" + file.RelativePath,
            file.Content.Length, Convert.ToHexStringLower(SHA1.HashData(file.Content)), nowMs, SourceContents.Sha256(file.Content))).ToList();
        if (InDatabase) StoreContents(rows, files, nowMs);
        else await StoreOnDiskAsync(rows, files, cancellationToken);

        var saved = await Writer.WriteAsync(session =>
        {
            if (release is not null) EnsureRelease(session, projectId, release, nowMs);
            return rows.Select(row => session.Connection.QuerySingle<SourceFile>("""
                INSERT INTO source_files (project_id, release, dist, url, url_path, kind, debug_id, sourcemap_ref, file_path, size, sha1, uploaded_at, sha256)
                VALUES (@ProjectId, @Release, @Dist, @Url, @UrlPath, @Kind, @DebugId, @SourcemapRef, @FilePath, @Size, @Sha1, @UploadedAt, @Sha256)
                ON CONFLICT (project_id, file_path) DO UPDATE SET
                    url = excluded.url, url_path = excluded.url_path, kind = excluded.kind, debug_id = excluded.debug_id,
                    sourcemap_ref = excluded.sourcemap_ref, size = excluded.size, sha1 = excluded.sha1, uploaded_at = excluded.uploaded_at,
                    sha256 = excluded.sha256
                RETURNING
                """ + ColumnList, row, session.Transaction)).ToList();
        }, cancellationToken);
        Interlocked.Increment(ref generation);
        if (InDatabase) SweepContents(nowMs); // contents a replaced file named
        return saved;
    }

    private async Task StoreOnDiskAsync(List<SourceFile> rows, IReadOnlyList<NewSourceFile> files, CancellationToken cancellationToken)
    {
        var staged = new List<(string Temp, string Final)>();
        var current = "";
        try
        {
            for (var i = 0; i < rows.Count; i++)
            {
                current = files[i].RelativePath;
                var final = FullPath(rows[i].FilePath);
                System.IO.Directory.CreateDirectory(Path.GetDirectoryName(final)!);
                var temp = final + ".upload-" + Guid.NewGuid().ToString("N");
                staged.Add((temp, final));
                await File.WriteAllBytesAsync(temp, files[i].Content, cancellationToken);
            }
            foreach (var (temp, final) in staged) File.Move(temp, final, overwrite: true);
        }
        catch (Exception e)
        {
            foreach (var (temp, _) in staged) TryDelete(temp);
            if (e is IOException or UnauthorizedAccessException)
            {
                // The message names no server path: it goes back to the uploader.
                logger.LogWarning("Storing {File} failed: {Message}", current, e.Message);
                throw new SourceFileStoreException($"{current} cannot be stored: a file and a folder of that name would collide, or the disk refused the write.");
            }
            throw;
        }
    }

    /// <summary>PostgreSQL: each distinct content in a transaction of its own, before the index names it.</summary>
    private void StoreContents(List<SourceFile> rows, IReadOnlyList<NewSourceFile> files, long nowMs)
    {
        var current = "";
        try
        {
            using var connection = (NpgsqlConnection)database.Connect();
            if (Collision(connection, rows) is { } colliding)
                throw new SourceFileStoreException($"{files[colliding].RelativePath} cannot be stored: a file and a folder of that name would collide, or the disk refused the write.");
            var done = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < rows.Count; i++)
            {
                current = files[i].RelativePath;
                if (done.Add(rows[i].Sha256!))
                    SourceContents.Store(connection, rows[i].Sha256!, new MemoryStream(files[i].Content, writable: false), files[i].Content.Length, nowMs);
            }
        }
        catch (NpgsqlException e)
        {
            logger.LogWarning("Storing {File} in the database failed: {Message}", current, e.Message);
            if (e is PostgresException { SqlState: PostgresErrorCodes.DiskFull })
                throw new SourceFileStoreException($"{current} cannot be stored: the database's disk is full, so it accepts no uploads until space is freed.", diskFull: true);
            throw new SourceFileStoreException($"{current} cannot be stored: the database refused the write.");
        }
    }

    /// <summary>
    /// The first file whose path is, or would be, a folder of another stored or uploaded file's (<c>a.js.map</c> and
    /// <c>a.js.map/b.js.map</c>). The file system refuses that on SQLite; here it is refused the same way, since both could
    /// never be restored into a data directory.
    /// </summary>
    private static int? Collision(NpgsqlConnection connection, List<SourceFile> rows)
    {
        var paths = rows.Select(r => r.FilePath).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++)
        {
            var path = rows[i].FilePath;
            var folders = Enumerable.Range(0, path.Length).Where(c => path[c] == '/').Select(c => path[..c]).ToArray();
            if (folders.Any(paths.Contains) || paths.Any(p => p.StartsWith(path + "/", StringComparison.Ordinal))) return i;
            if (connection.ExecuteScalar<bool>("""
                    SELECT EXISTS (SELECT 1 FROM source_files WHERE project_id = @projectId AND (file_path = ANY(@folders) OR starts_with(file_path, @inside)))
                    """, new { projectId = rows[i].ProjectId, folders, inside = path + "/" }))
                return i;
        }
        return null;
    }

    private void SweepContents(long nowMs)
    {
        try
        {
            using var connection = (NpgsqlConnection)database.Connect();
            SourceContents.Sweep(connection, nowMs, logger);
        }
        catch (NpgsqlException e) { logger.LogWarning("Sweeping unused source-map contents failed: {Message}", e.Message); }
    }

    // Dapper maps by name, so every query renames the snake_case columns.
    private const string ColumnList = """
         id AS Id, project_id AS ProjectId, release AS Release, dist AS Dist, url AS Url, url_path AS UrlPath, kind AS Kind,
         debug_id AS DebugId, sourcemap_ref AS SourcemapRef, file_path AS FilePath, size AS Size, sha1 AS Sha1, uploaded_at AS UploadedAt, sha256 AS Sha256
        """;
    private const string Select = "SELECT" + ColumnList + " FROM source_files";

    /// <summary>Creates the release if it is new; returns without a write when it exists (the common case).</summary>
    public static void EnsureRelease(WriterSession session, long projectId, string release, long nowMs)
    {
        var insert = session.Command("INSERT INTO releases (project_id, name, created_at) VALUES (@project, @name, @now) ON CONFLICT DO NOTHING",
            "@project", "@name", "@now");
        insert.Parameters[0].Value = projectId;
        insert.Parameters[1].Value = release;
        insert.Parameters[2].Value = nowMs;
        insert.ExecuteNonQuery();
    }

    public Task EnsureReleaseAsync(long projectId, string release, long nowMs, CancellationToken cancellationToken = default) =>
        Writer.WriteAsync(session => { EnsureRelease(session, projectId, release, nowMs); return 0; }, cancellationToken);

    public Task FinalizeReleaseAsync(long projectId, string release, long nowMs, CancellationToken cancellationToken = default) =>
        Writer.WriteAsync(session =>
        {
            EnsureRelease(session, projectId, release, nowMs);
            return session.Connection.Execute("UPDATE releases SET finalized_at = coalesce(finalized_at, @nowMs) WHERE project_id = @projectId AND name = @release",
                new { nowMs, projectId, release }, session.Transaction);
        }, cancellationToken);

    /// <summary>
    /// Creates a release an event names, unless the project already got <c>releases.max_new_per_hour</c> new
    /// releases in the last hour (0 = no limit): anyone with the public key can name releases.
    /// </summary>
    /// <returns>false when the release does not exist because the cap held it back</returns>
    public Task<bool> EnsureReleaseFromEventAsync(long projectId, string release, long nowMs) =>
        Writer.WriteAsync(session =>
        {
            var insert = session.Command("""
                INSERT INTO releases (project_id, name, created_at)
                SELECT @project, @name, @now
                WHERE @max = 0 OR (SELECT count(*) FROM releases WHERE project_id = @project AND created_at > @now - 3600000) < @max
                ON CONFLICT DO NOTHING
                """, "@project", "@name", "@now", "@max");
            insert.Parameters[0].Value = projectId;
            insert.Parameters[1].Value = release;
            insert.Parameters[2].Value = nowMs;
            insert.Parameters[3].Value = options.ReleasesMaxNewPerHour;
            if (insert.ExecuteNonQuery() == 1) return true;
            return session.Connection.ExecuteScalar<bool>("SELECT EXISTS (SELECT 1 FROM releases WHERE project_id = @projectId AND name = @release)",
                new { projectId, release }, session.Transaction);
        });

    /// <summary>A page of the project's releases, newest first; <paramref name="cursor"/> continues after the previous page.</summary>
    public (IReadOnlyList<ReleaseSummary> Releases, string? Next) ListReleases(long projectId, int limit, string? cursor = null)
    {
        var after = Kestrel.Issues.Cursor.Decode(cursor, 2);
        using var connection = database.Connect();
        var rows = connection.Query<(long Id, string Name, long CreatedAt, long? FinalizedAt, long Files)>("""
            SELECT r.id, r.name, r.created_at, r.finalized_at, (SELECT COUNT(*) FROM source_files f WHERE f.project_id = r.project_id AND f.release = r.name)
            FROM releases r WHERE r.project_id = @projectId
            """ + (after is null ? "" : " AND (r.created_at, r.id) < (@createdAt, @id)") + " ORDER BY r.created_at DESC, r.id DESC LIMIT @take",
            new { projectId, createdAt = after?[0], id = after?[1], take = limit + 1 }).AsList();
        var next = rows.Count > limit ? Kestrel.Issues.Cursor.Encode(rows[limit - 1].CreatedAt, rows[limit - 1].Id) : null;
        return (rows.Take(limit).Select(r => new ReleaseSummary(r.Name, Time(r.CreatedAt), r.FinalizedAt is { } f ? Time(f) : null, r.Files)).ToList(), next);
    }

    /// <summary>
    /// Files uploaded without a release (sentry-cli's debug-ID flow), grouped by debug ID, newest first:
    /// at most <paramref name="limit"/> groups.
    /// </summary>
    public IReadOnlyList<DebugIdFiles> ListWithoutRelease(long projectId, int limit)
    {
        using var connection = database.Connect();
        return connection.Query<SourceFile>(Select + " WHERE project_id = @projectId AND release IS NULL ORDER BY uploaded_at DESC, id DESC LIMIT @take",
                new { projectId, take = limit * 4 })
            .GroupBy(f => f.DebugId ?? "")
            .Take(limit)
            .Select(g => new DebugIdFiles(g.Key.Length == 0 ? null : g.Key, g.Select(f => f.UrlPath).Order(StringComparer.Ordinal).ToList(), Time(g.Max(f => f.UploadedAt))))
            .ToList();
    }

    /// <summary>The files of several releases in one query, by release.</summary>
    public ILookup<string, SourceFile> ListFiles(long projectId, IReadOnlyCollection<string> releases)
    {
        if (releases.Count == 0) return Array.Empty<SourceFile>().ToLookup(f => f.Release!);
        using var connection = database.Connect();
        return connection.Query<SourceFile>(Select + $" WHERE project_id = @projectId AND release {Sql.InList(connection, "@releases")} ORDER BY url_path, dist",
                new { projectId, releases = releases.ToArray() })
            .ToLookup(f => f.Release!);
    }

    public (string Name, long CreatedAt, long? FinalizedAt)? FindRelease(long projectId, string release)
    {
        using var connection = database.Connect();
        return connection.QuerySingleOrDefault<(string, long, long?)?>(
            "SELECT name, created_at, finalized_at FROM releases WHERE project_id = @projectId AND name = @release", new { projectId, release });
    }

    public IReadOnlyList<SourceFile> ListFiles(long projectId, string release)
    {
        using var connection = database.Connect();
        return connection.Query<SourceFile>(Select + " WHERE project_id = @projectId AND release = @release ORDER BY url_path, dist", new { projectId, release }).AsList();
    }

    /// <summary>Files of the release (and dist, else no dist) stored under any of <paramref name="urlPaths"/>.</summary>
    public IReadOnlyList<SourceFile> FindInRelease(long projectId, string release, string dist, IReadOnlyCollection<string> urlPaths)
    {
        if (urlPaths.Count == 0) return [];
        using var connection = database.Connect();
        return connection.Query<SourceFile>(Select + $"""
             WHERE project_id = @projectId AND release = @release AND dist IN (@dist, '') AND url_path {Sql.InList(connection, "@urlPaths")}
            ORDER BY dist = @dist DESC, uploaded_at DESC, id DESC
            """, new { projectId, release, dist, urlPaths = urlPaths.ToArray() }).AsList();
    }

    /// <summary>Files carrying <paramref name="debugId"/>, maps first, newest first.</summary>
    public IReadOnlyList<SourceFile> FindByDebugId(long projectId, string debugId)
    {
        using var connection = database.Connect();
        return connection.Query<SourceFile>(Select + """
             WHERE project_id = @projectId AND debug_id = @debugId
            ORDER BY kind = 'source_map' DESC, uploaded_at DESC, id DESC
            """, new { projectId, debugId }).AsList();
    }

    public bool HasAnyFiles(long projectId)
    {
        using var connection = database.Connect();
        return connection.ExecuteScalar<bool>("SELECT EXISTS (SELECT 1 FROM source_files WHERE project_id = @projectId)", new { projectId });
    }

    public byte[]? ReadContent(SourceFile file)
    {
        if (InDatabase)
        {
            using var connection = database.Connect();
            if (file.Sha256 is { } sha256 && SourceContents.Read(connection, sha256) is { } content) return content;
            logger.LogWarning("Source file {Path} is indexed but its content is not in the database", file.FilePath);
            return null;
        }
        try { return File.ReadAllBytes(FullPath(file.FilePath)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Source file {Path} is indexed but cannot be read: {Message}", file.FilePath, e.Message);
            return null;
        }
    }

    /// <summary>Removes one file of the release (<paramref name="urlPath"/>) or all of them (null).</summary>
    /// <returns>the files removed</returns>
    public async Task<IReadOnlyList<SourceFile>> DeleteAsync(long projectId, string release, string? urlPath, CancellationToken cancellationToken)
    {
        var removed = await Writer.WriteAsync(session => session.Connection.Query<SourceFile>(
            "DELETE FROM source_files WHERE project_id = @projectId AND release = @release" + (urlPath is null ? "" : " AND url_path = @urlPath")
            + " RETURNING" + ColumnList,
            new { projectId, release, urlPath }, session.Transaction).AsList(), cancellationToken);
        if (InDatabase) SweepContents(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        else foreach (var file in removed) TryDelete(FullPath(file.FilePath));
        Interlocked.Increment(ref generation);
        return removed;
    }

    /// <summary>The absolute path of a stored file; refuses anything that would land outside sourcemaps/.</summary>
    public string FullPath(string relative)
    {
        var full = Path.GetFullPath(Path.Combine(Root, relative));
        if (!full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidOperationException($"Refusing a source file path outside {Root}.");
        return full;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static DateTime Time(long ms) => DateTime.UnixEpoch.AddMilliseconds(ms);
}
