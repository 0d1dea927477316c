using Kestrel.Platform;
using Kestrel.Web;

namespace Kestrel.Projects.Pages;

/// <summary>Projects in the web UI: the list, creating one, its DSN and setup, rotating its token.</summary>
public static class ProjectPages
{
    public static void MapProjectPages(this RouteGroupBuilder pages)
    {
        pages.MapGet("/projects", List);
        pages.MapPost("/projects", Create);
        pages.MapGet("/projects/{slug}/settings", Settings);
        pages.MapGet("/projects/{slug}/rotate-token", ConfirmRotation);
        pages.MapPost("/projects/{slug}/rotate-token", Rotate);
    }

    private static IResult List(AdminSession session, ProjectStore projects, Database database) =>
        ListPage(session, projects, database, null, 200);

    private static IResult ListPage(AdminSession session, ProjectStore projects, Database database, string? error, int status) =>
        Page.Render<ProjectListPage>(new { Shell = session.Shell(), Projects = projects.List(), Stats = ProjectStats.All(database), Error = error }, status);

    private static async Task<IResult> Create(HttpRequest request, AdminSession session, ProjectStore projects, Database database, KestrelOptions options, TimeProvider time)
    {
        var form = await request.ReadFormAsync();
        try
        {
            var created = projects.Create(form["name"].ToString(), time.GetUtcNow().ToUnixTimeMilliseconds());
            return TokenShown(session, created, options, isNew: true);
        }
        catch (ProjectException e) { return ListPage(session, projects, database, e.Message, 400); }
    }

    private static IResult Settings(string slug, AdminSession session, ProjectStore projects, KestrelOptions options) =>
        projects.FindBySlug(slug) is { } project
            ? Page.Render<ProjectSettingsPage>(new { Shell = session.Shell(project.Slug, project.Name), Project = project, Dsn = ProjectStore.Dsn(project, options.PublicUrl), options.PublicUrl })
            : NotFound(session, slug);

    private static IResult ConfirmRotation(string slug, AdminSession session, ProjectStore projects) =>
        projects.FindBySlug(slug) is { } project
            ? Page.Render<RotateTokenPage>(new { Shell = session.Shell(project.Slug, project.Name), Project = project })
            : NotFound(session, slug);

    private static IResult Rotate(string slug, AdminSession session, ProjectStore projects, KestrelOptions options)
    {
        if (projects.FindBySlug(slug) is null) return NotFound(session, slug);
        return TokenShown(session, projects.RotateToken(slug), options, isNew: false);
    }

    /// <summary>The only time the token is shown: it is not stored in clear, and the answer is not cached (no-store).</summary>
    private static IResult TokenShown(AdminSession session, ProjectWithToken created, KestrelOptions options, bool isNew) =>
        Page.Render<TokenPage>(new
        {
            Shell = session.Shell(created.Project.Slug, created.Project.Name),
            Project = created.Project,
            created.Token,
            Dsn = ProjectStore.Dsn(created.Project, options.PublicUrl),
            options.PublicUrl,
            IsNew = isNew,
        });

    public static IResult NotFound(AdminSession session, string slug) =>
        Page.Message(404, "No such project", $"There is no project '{slug}'.", session.Shell());
}
