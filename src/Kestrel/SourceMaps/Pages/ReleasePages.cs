using Kestrel.Projects;
using Kestrel.Projects.Pages;
using Kestrel.Web;

namespace Kestrel.SourceMaps.Pages;

/// <summary>Releases of a project in the web UI, each with the source maps and scripts uploaded for it.</summary>
public static class ReleasePages
{
    public static void MapReleasePages(this RouteGroupBuilder pages) => pages.MapGet("/projects/{slug}/releases", List);

    private static IResult List(string slug, AdminSession session, ProjectStore projects, SourceMapStore store)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        var releases = store.ListReleases(project.Id)
            .Select(r => new ReleaseFiles(r, store.ListFiles(project.Id, r.Name)))
            .ToList();
        return Page.Render<ReleasesPage>(new { Shell = session.Shell(project.Slug, project.Name), Project = project, Releases = releases });
    }
}

public sealed record ReleaseFiles(ReleaseSummary Release, IReadOnlyList<SourceFile> Files);
