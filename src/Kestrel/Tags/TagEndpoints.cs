using System.Globalization;
using Kestrel.Issues;
using Kestrel.Platform;
using Kestrel.Projects;

namespace Kestrel.Tags;

/// <summary><c>GET /api/issues/{id}/tags</c> (facets) and <c>GET /api/issues/{id}/tags/{key}</c> (all values of a key, paged).</summary>
public static class TagEndpoints
{
    public static IServiceCollection AddTags(this IServiceCollection services) => services.AddSingleton<TagStore>();

    /// <param name="issues">the <c>/api/issues</c> group, with its authentication</param>
    public static void MapIssueTags(this RouteGroupBuilder issues)
    {
        issues.MapGet("/{id:long}/tags", Summary);
        issues.MapGet("/{id:long}/tags/{key}", Values);
    }

    private static IResult Summary(Caller caller, IssueStore issues, TagStore tags, long id) =>
        issues.Get(caller.ProjectId, id) is null ? IssueNotFound(id) : Results.Json(tags.Summary(caller.ProjectId, id), KestrelJson.Options);

    private static IResult Values(Caller caller, IssueStore issues, TagStore tags, long id, string key, string? limit, string? cursor)
    {
        if (!EventTags.IsKey(key)) return ApiError.BadRequest($"key must be 1 to {EventTags.MaxKeyLength} letters, digits or _ . : -.");
        var take = 100;
        if (limit is not null && !(int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out take) && take is >= 1 and <= 1000))
            return ApiError.BadRequest("limit must be a whole number from 1 to 1000.");
        if (cursor is not null && TagStore.DecodeCursor(cursor) is null) return ApiError.BadRequest(IssueRules.CursorProblem);
        if (issues.Get(caller.ProjectId, id) is null) return IssueNotFound(id);
        return tags.Values(caller.ProjectId, id, key, take, cursor) is { } page
            ? Results.Json(page, KestrelJson.Options)
            : ApiError.NotFound($"No event of issue {id} had the tag {key}.");
    }

    private static IResult IssueNotFound(long id) => ApiError.NotFound($"Issue {id} does not exist in this project.");
}
