using System.Globalization;
using System.Text.Json;
using Kestrel.Platform;
using Kestrel.Projects;
using Kestrel.Search;
using Kestrel.Tags;
using Kestrel.SourceMaps;

namespace Kestrel.Issues;

public static class IssueEndpoints
{
    public static IServiceCollection AddIssues(this IServiceCollection services) => services.AddSingleton<IssueStore>();

    public static void MapIssues(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/issues").RequireProject(allowPublicKey: false, allowAdminSession: true);
        group.MapGet("", List);
        group.MapGet("/{id:long}", Get);
        group.MapGet("/{id:long}/events", Events);
        group.MapPatch("/{id:long}", Patch);
        group.MapIssueTags();
    }

    private static IResult List(Caller caller, IssueStore store, TimeProvider time, string? status, string? since, string? query, string? sort,
        string? limit, string? cursor)
    {
        if (status is not null && !IssueRules.Statuses.Contains(status)) return ApiError.BadRequest(IssueRules.StatusProblem);
        DateTimeOffset? sinceTime = null;
        if (since is not null)
        {
            if (!IssueRules.TryParseSince(since, out var parsed)) return ApiError.BadRequest(IssueRules.SinceProblem);
            sinceTime = parsed;
        }
        if (ParseLimit(limit, 50, 200) is not { } take) return ApiError.BadRequest("limit must be a whole number from 1 to 200.");
        if (cursor is not null && !IssueRules.IsListCursor(cursor)) return ApiError.BadRequest(IssueRules.CursorProblem);
        if (sort is not null && !SearchSql.Sorts.ContainsKey(sort)) return ApiError.BadRequest(SearchSql.SortProblem);
        if (SearchParser.TryParse(query, out var search) is { } problem) return ApiError.BadRequest(problem);
        var issues = store.List(caller.ProjectId, new IssueQuery(status, sinceTime, search, take, cursor, sort ?? "lastSeen"), time.GetUtcNow());
        return Results.Json(issues, KestrelJson.Options);
    }

    private static IResult Get(Caller caller, IssueStore store, long id) =>
        store.Get(caller.ProjectId, id) is { } issue ? Results.Json(issue, KestrelJson.Options) : IssueNotFound(id);

    private static IResult Events(Caller caller, IssueStore store, SourceMapResolver sourceMaps, long id, string? limit, string? cursor)
    {
        if (ParseLimit(limit, 20, 100) is not { } take) return ApiError.BadRequest("limit must be a whole number from 1 to 100.");
        if (cursor is not null && Cursor.Decode(cursor, 1) is null) return ApiError.BadRequest(IssueRules.CursorProblem);
        if (store.Events(caller.ProjectId, id, take, cursor) is not { } page) return IssueNotFound(id);
        // Events stored before their source map arrived are resolved now (PRODUCT §7).
        var resolved = page.Events.Select(e => e with { Event = sourceMaps.ResolveForDisplay(caller.ProjectId, e.Event) }).ToList();
        return Results.Json(page with { Events = resolved }, KestrelJson.Options);
    }

    private static async Task<IResult> Patch(Caller caller, IssueStore store, TimeProvider time, long id, HttpRequest request, CancellationToken cancellationToken)
    {
        StatusChangeBody? body;
        // Read whatever the Content-Type says: curl users often leave it out.
        try { body = await JsonSerializer.DeserializeAsync<StatusChangeBody>(request.Body, PatchJson, cancellationToken); }
        catch (Exception e) when (e is JsonException or BadHttpRequestException)
        {
            return ApiError.BadRequest("The body must be a JSON object such as {\"status\": \"resolved\", \"commit_sha\": \"a1b2c3d\"}.");
        }
        if (StatusChange.TryCreate(body?.Status, body?.CommitSha, body?.Note, body?.Reason, out var change) is { } error)
            return ApiError.BadRequest(error);
        var issue = await store.ChangeStatusAsync(caller.ProjectId, id, change!, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        return issue is null ? IssueNotFound(id) : Results.Json(issue, KestrelJson.Options);
    }

    private static readonly JsonSerializerOptions PatchJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, MaxDepth = 8 };

    private sealed record StatusChangeBody(string? Status, string? CommitSha, string? Note, string? Reason);

    private static int? ParseLimit(string? text, int fallback, int max)
    {
        if (text is null) return fallback;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= max ? n : null;
    }

    private static IResult IssueNotFound(long id) => ApiError.NotFound($"Issue {id} does not exist in this project.");
}
