using Kestrel.Projects;
using Kestrel.Projects.Pages;
using Kestrel.Web;

namespace Kestrel.Issues.Pages;

/// <summary>The issue page's note form (the log itself is <see cref="ActivityLog"/>).</summary>
public static class ActivityPages
{
    public static void MapActivityPages(this RouteGroupBuilder pages) => pages.MapPost("/projects/{slug}/issues/{id:long}/notes", AddNote);

    private static async Task<IResult> AddNote(string slug, long id, HttpRequest request, AdminSession session, ProjectStore projects,
        ActivityStore activity, TimeProvider time, CancellationToken cancellationToken)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        var form = await request.ReadFormAsync(cancellationToken);
        var text = form["text"].ToString().Trim();
        if (NoteRules.Problem(text) is { } problem) return Page.Message(400, "No note added", problem, session.Shell(project.Slug, project.Name));
        var note = await activity.AddNoteAsync(project.Id, id, text, Actors.Admin, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        return note is null
            ? Page.Message(404, "No such issue", $"Issue {id} does not exist in project {project.Slug}.", session.Shell(project.Slug, project.Name))
            : Results.Redirect($"/projects/{project.Slug}/issues/{id}#activity-title");
    }
}
