using System.Text.Json;
using Kestrel.Platform;
using Kestrel.Projects;

namespace Kestrel.Issues;

/// <summary><c>GET /api/issues/{id}/activity</c> (newest first, paged) and <c>POST /api/issues/{id}/notes {"text"}</c>.</summary>
public static class ActivityEndpoints
{
    /// <summary>Adds the routes to the issues group, which already requires the project token or the admin session.</summary>
    public static void MapIssueActivity(this RouteGroupBuilder issues)
    {
        issues.MapGet("/{id:long}/activity", List);
        issues.MapPost("/{id:long}/notes", AddNote);
    }

    private static IResult List(Caller caller, ActivityStore store, long id, string? limit, string? cursor)
    {
        if (IssueEndpoints.ParseLimit(limit, 50, 200) is not { } take) return ApiError.BadRequest("limit must be a whole number from 1 to 200.");
        if (cursor is not null && Cursor.Decode(cursor, 1) is null) return ApiError.BadRequest(IssueRules.CursorProblem);
        return store.List(caller.ProjectId, id, take, cursor) is { } page ? Results.Json(page, KestrelJson.Options) : IssueEndpoints.IssueNotFound(id);
    }

    private static async Task<IResult> AddNote(Caller caller, ActivityStore store, TimeProvider time, long id, HttpRequest request, CancellationToken cancellationToken)
    {
        NoteBody? body;
        try { body = await JsonSerializer.DeserializeAsync<NoteBody>(request.Body, NoteJson, cancellationToken); }
        catch (Exception e) when (e is JsonException or BadHttpRequestException)
        {
            return ApiError.BadRequest("The body must be a JSON object such as {\"text\": \"Fixed by upgrading the driver\"}; text must be a string.");
        }
        if (NoteRules.Problem(body?.Text) is { } problem) return ApiError.BadRequest(problem);
        var note = await store.AddNoteAsync(caller.ProjectId, id, body!.Text!, caller.Actor, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        return note is null ? IssueEndpoints.IssueNotFound(id) : Results.Json(note, KestrelJson.Options, statusCode: StatusCodes.Status201Created);
    }

    private static readonly JsonSerializerOptions NoteJson = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, MaxDepth = 8 };

    private sealed record NoteBody(string? Text);
}
