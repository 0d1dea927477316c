using Kestrel.Projects;
using Kestrel.Projects.Pages;
using Kestrel.Web;

namespace Kestrel.SourceMaps.Pages;

/// <summary>Releases of a project in the web UI, each with the source maps and scripts uploaded for it.</summary>
public static class ReleasePages
{
    public const int PageSize = 50;

    public static void MapReleasePages(this RouteGroupBuilder pages) => pages.MapGet("/projects/{slug}/releases", List);

    private static IResult List(string slug, string? cursor, AdminSession session, ProjectStore projects, SourceMapStore store)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        var (page, next) = store.ListReleases(project.Id, PageSize, cursor);
        var files = store.ListFiles(project.Id, page.Select(r => r.Name).ToList());
        var releases = page.Select(r => new ReleaseFiles(r, files[r.Name].ToList())).ToList();
        var withoutRelease = cursor is null ? store.ListWithoutRelease(project.Id, PageSize) : [];
        return Page.Render<ReleasesPage>(new
        {
            Shell = session.Shell(project.Slug, project.Name), Project = project, Releases = releases, WithoutRelease = withoutRelease,
            Next = next, Paged = cursor is not null,
        });
    }
}

public sealed record ReleaseFiles(ReleaseSummary Release, IReadOnlyList<SourceFile> Files);
