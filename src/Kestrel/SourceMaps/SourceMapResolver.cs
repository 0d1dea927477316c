using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kestrel.Ingest;
using Kestrel.Platform;

namespace Kestrel.SourceMaps;

/// <summary>
/// Resolves JavaScript frames of a project's events with its uploaded maps. Two entry points:
/// <see cref="ResolveAtIngest"/> (an ingest step between normalising and grouping, so grouping sees
/// original frames) and <see cref="ResolveForDisplay"/> (API, MCP and UI: events stored before their
/// map arrived). A map is found by the debug ID the event gives the frame's script, else by the event's
/// release (and dist) and the script's URL path (PRODUCT §7). Nothing here ever fails an event: any
/// problem leaves the frames as they came, with the reason in the frame's <c>data.sourcemap_error</c>.
/// </summary>
public sealed class SourceMapResolver(SourceMapStore store, SourceMapCache cache, TimeProvider time, ILogger<SourceMapResolver> logger)
{
    private readonly ConcurrentDictionary<long, (long Stamp, bool Has)> projectsWithFiles = new();
    // Keyed by the bounded lookup path, not the frame's file, so a remembered miss costs at most ~2 KB.
    private readonly ConcurrentDictionary<(long, string?, string, string, string?), (long Stamp, (SourceFile File, string Method)? Found)> lookups = new();
    private readonly ConcurrentDictionary<(long, string), byte> knownReleases = new();
    private readonly ConcurrentDictionary<long, long> releasesFullUntil = new(); // project → unix ms
    private const int MaxRemembered = 50_000;
    private const int MaxRememberedLookups = 10_000;

    public SourceMapCache Cache => cache;

    /// <summary>
    /// A resolver for a process that only shows events (<c>kestrel mcp</c> over stdio): no writer, its own
    /// cache of parsed maps, and no remembered look-ups, since uploads happen in the server's process.
    /// </summary>
    public static SourceMapResolver ForReading(Database database, KestrelOptions options, ILoggerFactory loggers) =>
        new(new SourceMapStore(database, null, options, loggers.CreateLogger<SourceMapStore>()),
            new SourceMapCache(options.SourceMapCacheMegabytes * 1024L * 1024), TimeProvider.System, loggers.CreateLogger<SourceMapResolver>())
        { recheckMilliseconds = 0 };

    private long recheckMilliseconds = 10_000;
    private long stamps;

    /// <summary>Ingest step 025: the event with its frames resolved where a map exists; the same event otherwise.</summary>
    public NormalisedEvent ResolveAtIngest(long projectId, NormalisedEvent e)
    {
        if (e.Release is { } release) RememberRelease(projectId, release);
        // Whether the project has any files first: most have none, and that answer is remembered, where looking at every
        // frame cost a string per frame of every event.
        if (!HasFiles(projectId) || !e.Exceptions.Any(x => MayHaveScript(x, e.Platform))) return e;
        try
        {
            if (JsonNode.Parse(e.Payload, documentOptions: KestrelJson.StoredDocument) is not JsonObject root || !Resolve(projectId, root)) return e;
            return e with { Payload = Serialize(root), Exceptions = ResolvedExceptions.Read(root) };
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            logger.LogWarning(error, "Source-map resolution of event {EventId} failed; storing its frames as they came", e.EventId);
            return e;
        }
    }

    /// <summary>
    /// A cheap first look, so that .NET or Python events of a project with maps are not parsed again;
    /// <see cref="FrameResolver.IsCandidate"/> then decides per frame. (A frame whose own <c>platform</c> says
    /// JavaScript, in an event of another platform, with a file not ending in .js, is not looked at.)
    /// </summary>
    private static bool MayHaveScript(ExceptionValue x, string? platform) =>
        x.Scripts == FrameScripts.PositionedInScriptFile || (x.Scripts == FrameScripts.Positioned && platform is "javascript" or "node");

    /// <summary>
    /// A stored event (its normalised JSON) with frames that are still minified resolved, if maps for them
    /// exist now; <paramref name="storedEvent"/> itself when nothing changes. Safe to call for any event.
    /// </summary>
    public JsonElement ResolveForDisplay(long projectId, JsonElement storedEvent)
    {
        if (!HasUnresolvedFrames(storedEvent) || !HasFiles(projectId)) return storedEvent;
        try
        {
            if (JsonNode.Parse(storedEvent.GetRawText(), documentOptions: KestrelJson.StoredDocument) is not JsonObject root || !Resolve(projectId, root))
                return storedEvent;
            using var document = JsonDocument.Parse(Serialize(root), KestrelJson.StoredDocument);
            return document.RootElement.Clone();
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            logger.LogWarning(error, "Source-map resolution for display failed; showing the frames as stored");
            return storedEvent;
        }
    }

    private bool Resolve(long projectId, JsonObject root)
    {
        var release = Text(root["release"]);
        var dist = Text(root["dist"]) ?? "";
        return FrameResolver.Resolve(root,
            request => Find(projectId, release, dist, request),
            request => WhyNoMap(release, dist, request));
    }

    /// <summary>No upload's release or dist is longer than a release name may be, so a longer one is not looked up.</summary>
    private static bool CanMatchUploads(string release, string dist) => release.Length <= ReleaseNames.MaxLength && dist.Length <= ReleaseNames.MaxLength;

    private FoundMap? Find(long projectId, string? release, string dist, MapRequest request)
    {
        if (release is not null && !CanMatchUploads(release, dist)) (release, dist) = (null, "");
        var stamp = Stamp();
        var path = ArtifactPaths.LookupPath(request.File);
        var key = (projectId, release, dist, path, request.DebugId);
        if (!lookups.TryGetValue(key, out var known) || known.Stamp != stamp)
        {
            // Misses are remembered too: an event naming scripts no one uploaded costs one query per script per 10 s.
            if (lookups.Count > MaxRememberedLookups) lookups.Clear();
            known = (stamp, FindFile(projectId, release, dist, path, request.DebugId));
            lookups[key] = known;
        }
        if (known.Found is not var (file, method)) return null;
        // By content: a map parsed once serves every file with the same bytes, on this node, whichever node stored it.
        var map = cache.GetOrLoad(file.Sha256 ?? file.FilePath + "\n" + file.Sha1, () => Load(file));
        return map is null ? null : new FoundMap(map, file.Url, method);
    }

    private (SourceFile, string)? FindFile(long projectId, string? release, string dist, string lookupPath, string? debugId)
    {
        if (debugId is not null && store.FindByDebugId(projectId, debugId).FirstOrDefault(f => f.Kind == SourceFile.SourceMapKind) is { } byId)
            return (byId, "debug-id");
        return FindInRelease(projectId, release, dist, lookupPath) is { } inRelease ? (inRelease, "release") : null;
    }

    private SourceFile? FindInRelease(long projectId, string? release, string dist, string lookupPath)
    {
        if (release is null) return null;
        var candidates = ArtifactPaths.Suffixes(lookupPath);
        var files = store.FindInRelease(projectId, release, dist, candidates.Concat(candidates.Select(c => c + ".map")).ToList());
        foreach (var candidate in candidates)
        {
            // A stored minified file says where its map is; else the map may sit beside it as <file>.map.
            if (files.FirstOrDefault(f => f.Kind == SourceFile.MinifiedKind && f.UrlPath == candidate && f.SourcemapRef is not null) is { } minified
                && ArtifactPaths.ResolveReference(candidate, minified.SourcemapRef!) is { } target)
            {
                var linked = files.FirstOrDefault(f => f.Kind == SourceFile.SourceMapKind && f.UrlPath == target)
                    ?? store.FindInRelease(projectId, release, dist, [target]).FirstOrDefault(f => f.Kind == SourceFile.SourceMapKind);
                if (linked is not null) return linked;
            }
            if (files.FirstOrDefault(f => f.Kind == SourceFile.SourceMapKind && f.UrlPath == candidate + ".map") is { } beside) return beside;
        }
        return null;
    }

    private SourceMap? Load(SourceFile file)
    {
        if (store.ReadContent(file) is not { } bytes) return null;
        try { return SourceMapParser.Parse(bytes); }
        catch (SourceMapException e)
        {
            logger.LogWarning("Stored source map {Path} cannot be parsed: {Message}", file.FilePath, e.Message);
            return null;
        }
    }

    /// <summary>Why a frame has no map, in one short sentence: the event chooses the release and paths, so they are cut short.</summary>
    private static string WhyNoMap(string? release, string dist, MapRequest request)
    {
        var byId = request.DebugId is { } id ? $"No source map with debug ID {id} was uploaded" : "The event gives no debug ID for this script";
        if (release is null) return byId + ", and the event has no release to look in.";
        if (!CanMatchUploads(release, dist)) return $"{byId}, and the event's release or dist is longer than {ReleaseNames.MaxLength} characters, which no upload can be.";
        var path = ArtifactPaths.LookupPath(request.File);
        if (path.Length == 0) return $"{byId}, and the script's path is empty or too long to look up.";
        var tried = path.Count(c => c == '/') + 1;
        var name = path[(path.LastIndexOf('/') + 1)..];
        return $"{byId}, and release '{Shown(release)}' has no map for it (tried {tried} path{(tried == 1 ? "" : "s")} ending in {Shown(name)}.map, and minified files there with a sourceMappingURL).";
    }

    private static string Shown(string text) => EventNormaliser.Truncate(text, 64);

    private bool HasFiles(long projectId)
    {
        var stamp = Stamp();
        if (projectsWithFiles.TryGetValue(projectId, out var known) && known.Stamp == stamp) return known.Has;
        bool has;
        try { has = store.HasAnyFiles(projectId); }
        catch (System.Data.Common.DbException e)
        {
            // Asked for every event's project now, not only for events with script frames: a database that cannot answer
            // leaves the frames as they came, as any other failure here does, and is asked again next time.
            logger.LogWarning("Could not look up whether project {ProjectId} has source maps; frames stay as they came: {Message}", projectId, e.Message);
            return false;
        }
        projectsWithFiles[projectId] = (stamp, has);
        return has;
    }

    /// <summary>
    /// What remembered look-ups are valid for: this process's uploads change the store's generation at once,
    /// and every 10 s everything is looked up again, in case another process (on PostgreSQL: another node) changed the files. With no
    /// recheck interval every call gets a stamp of its own, so nothing is remembered.
    /// </summary>
    private long Stamp() => recheckMilliseconds == 0
        ? Interlocked.Increment(ref stamps)
        : (store.Generation << 32) + Environment.TickCount64 / recheckMilliseconds;

    /// <summary>
    /// Releases are created on first use by an event; the write runs beside ingest, once per release. Past the
    /// project's hourly cap of new releases the event is stored all the same, and for a minute no new name of
    /// that project is tried, so a flood of made-up names costs one write a minute.
    /// </summary>
    private void RememberRelease(long projectId, string release)
    {
        if (release.Length is 0 or > ReleaseNames.MaxLength || knownReleases.ContainsKey((projectId, release))) return;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (releasesFullUntil.TryGetValue(projectId, out var until) && now < until) return;
        if (knownReleases.Count > MaxRemembered) knownReleases.Clear();
        knownReleases[(projectId, release)] = 0;
        store.EnsureReleaseFromEventAsync(projectId, release, now).ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully && t.Result) return;
            knownReleases.TryRemove((projectId, release), out _);
            if (t.IsCompletedSuccessfully) releasesFullUntil[projectId] = now + 60_000;
            else logger.LogWarning(t.Exception, "Release {Release} could not be recorded", release);
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    private static bool HasUnresolvedFrames(JsonElement e) => HasUnresolvedFrames(e, "exception") || HasUnresolvedFrames(e, "threads");

    private static bool HasUnresolvedFrames(JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var list) || list.ValueKind != JsonValueKind.Object
            || !list.TryGetProperty("values", out var values) || values.ValueKind != JsonValueKind.Array) return false;
        foreach (var value in values.EnumerateArray())
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty("stacktrace", out var stacktrace) || stacktrace.ValueKind != JsonValueKind.Object
                || !stacktrace.TryGetProperty("frames", out var frames) || frames.ValueKind != JsonValueKind.Array) continue;
            foreach (var frame in frames.EnumerateArray())
            {
                if (frame.ValueKind == JsonValueKind.Object && frame.TryGetProperty("colno", out _)
                    && !(frame.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object && data.TryGetProperty("sourcemap", out _)))
                    return true;
            }
        }
        return false;
    }

    // One buffer per thread: resolved events carry context lines (tens of KB), and growing a fresh buffer
    // to that size for every event allocated three times the payload. One that grew past 1 MB is let go.
    [ThreadStatic] private static System.Buffers.ArrayBufferWriter<byte>? scratch;
    [ThreadStatic] private static Utf8JsonWriter? scratchWriter;

    private static byte[] Serialize(JsonObject root)
    {
        var buffer = scratch ??= new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        buffer.ResetWrittenCount();
        var writer = scratchWriter ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = KestrelJson.Encoder, SkipValidation = true });
        writer.Reset(buffer);
        root.WriteTo(writer);
        writer.Flush();
        var payload = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 1024 * 1024) (scratch, scratchWriter) = (null, null);
        return payload;
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
