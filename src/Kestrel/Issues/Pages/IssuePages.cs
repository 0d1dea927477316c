using Kestrel.Projects;
using Kestrel.Projects.Pages;
using Kestrel.Web;

namespace Kestrel.Issues.Pages;

/// <summary>The issue list of a project, one issue with its events, and triage (resolve, ignore, reopen; one or many).</summary>
public static class IssuePages
{
    public static void MapIssuePages(this RouteGroupBuilder pages)
    {
        pages.MapGet("/projects/{slug}/issues", List);
        pages.MapPost("/projects/{slug}/issues/bulk", Bulk);
        pages.MapGet("/projects/{slug}/issues/{id:long}", Show);
        pages.MapPost("/projects/{slug}/issues/{id:long}/status", ChangeStatus);
    }

    private static IResult List(string slug, AdminSession session, ProjectStore projects, IssueListQuery lists, TimeProvider time,
        string? status, string? query, string? sort, string? cursor)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        status = IssueListQuery.Statuses.Contains(status) ? status! : "open";
        sort = sort is not null && IssueListQuery.Sorts.ContainsKey(sort) ? sort : "last_seen";
        var search = query?.Trim() is { Length: > 0 } s ? s : null;
        if (cursor is not null && Cursor.Decode(cursor, 2) is null) cursor = null;
        var problem = Search.SearchParser.TryParse(search, out var parsed);
        var filter = new IssueListFilter(status, search, sort, cursor) { Query = parsed, SearchProblem = problem };
        return Page.Render<IssueListPage>(new
        {
            Shell = session.Shell(project.Slug, project.Name),
            Project = project,
            Filter = filter,
            List = lists.Run(project.Id, filter, time.GetUtcNow()),
        });
    }

    private static IResult Show(string slug, long id, AdminSession session, ProjectStore projects, IssueDetailQuery query, TimeProvider time, string? @event)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        var eventId = @event is { Length: 32 } e && e.All(char.IsAsciiHexDigitLower) ? e : null;
        if (query.Run(project.Id, id, eventId, time.GetUtcNow()) is not { } detail) return IssueNotFound(session, project, id);
        if (@event is not null && (detail.Event is null || detail.Event.EventId != @event))
            return Page.Message(404, "No such event", $"Issue {id} has no event {@event}.", session.Shell(project.Slug, project.Name));
        return Page.Render<IssuePage>(new { Shell = session.Shell(project.Slug, project.Name), Project = project, Detail = detail });
    }

    private static async Task<IResult> ChangeStatus(string slug, long id, HttpRequest request, AdminSession session, ProjectStore projects,
        IssueStore issues, TimeProvider time, CancellationToken cancellationToken)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        var form = await request.ReadFormAsync(cancellationToken);
        var sha = form["commit_sha"].ToString().Trim();
        var error = StatusChange.TryCreate(form["status"], sha.Length == 0 ? null : sha, Blank(form["note"]), Blank(form["reason"]), out var change);
        if (change is null) return Page.Message(400, "Not changed", error!, session.Shell(project.Slug, project.Name));
        var changed = await issues.ChangeStatusAsync(project.Id, id, change, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        return changed is null ? IssueNotFound(session, project, id) : Results.Redirect($"/projects/{project.Slug}/issues/{id}");
    }

    private static async Task<IResult> Bulk(string slug, HttpRequest request, AdminSession session, ProjectStore projects,
        IssueStore issues, TimeProvider time, CancellationToken cancellationToken)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        var form = await request.ReadFormAsync(cancellationToken);
        var back = Page.LocalPathOr(form["return"], $"/projects/{project.Slug}/issues");
        var error = StatusChange.TryCreate(form["status"], null, null, null, out var change);
        if (change is null) return Page.Message(400, "Not changed", error!, session.Shell(project.Slug, project.Name));
        var ids = form["id"].Select(v => long.TryParse(v, out var n) ? n : 0).Where(n => n > 0).Distinct().Take(IssueListQuery.PageSize * 4).ToList();
        if (ids.Count == 0) return Results.Redirect(back);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        // One writer job each; the writer commits them together.
        await Task.WhenAll(ids.Select(issueId => issues.ChangeStatusAsync(project.Id, issueId, change, now, cancellationToken)));
        return Results.Redirect(back);
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static IResult IssueNotFound(AdminSession session, Project project, long id) =>
        Page.Message(404, "No such issue", $"Issue {id} does not exist in project {project.Slug}.", session.Shell(project.Slug, project.Name));
}
