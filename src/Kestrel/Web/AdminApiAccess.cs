using Dapper;
using Kestrel.Platform;
using Kestrel.Projects;

namespace Kestrel.Web;

/// <summary>
/// Lets the signed-in admin call the issues API with the session cookie instead of a project token
/// (PRODUCT.md §6). The admin sees every project, so a request names one: <c>?project=&lt;slug&gt;</c>,
/// or, on <c>/api/issues/{id}</c>, the issue's own project. A change must also carry the session's CSRF
/// token in <c>X-CSRF-Token</c> (pages show it in <c>&lt;meta name="csrf-token"&gt;</c>), since the
/// browser sends the cookie along with requests another site makes it send.
/// </summary>
public static class AdminApiAccess
{
    public const string CsrfHeader = "X-CSRF-Token";

    /// <returns>the project to act for; or a refusal; or neither when there is no admin session</returns>
    public static (Project? Project, IResult? Refusal) Resolve(HttpContext http)
    {
        if (http.RequestServices.GetRequiredService<AdminSessions>().Find(http) is not { } session) return (null, null);
        var method = http.Request.Method;
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !AdminSessions.CsrfMatches(session, http.Request.Headers[CsrfHeader]))
            return (null, ApiError.Forbidden($"With an admin session, a change needs the session's CSRF token in the {CsrfHeader} header."));

        var projects = http.RequestServices.GetRequiredService<ProjectStore>();
        if (http.Request.Query["project"].ToString() is { Length: > 0 } slug)
            return projects.FindBySlug(slug) is { } named ? (named, null) : (null, ApiError.NotFound($"No project has the slug '{slug}'."));
        if (http.Request.RouteValues["id"] is string idText && long.TryParse(idText, out var issueId))
        {
            using var connection = http.RequestServices.GetRequiredService<Database>().Connect();
            var owner = connection.QuerySingleOrDefault<string>(
                "SELECT p.slug FROM issues i JOIN projects p ON p.id = i.project_id WHERE i.id = @issueId", new { issueId });
            return owner is not null && projects.FindBySlug(owner) is { } project
                ? (project, null) : (null, ApiError.NotFound($"Issue {issueId} does not exist."));
        }
        return (null, ApiError.BadRequest("With an admin session, name the project: ?project=<slug>."));
    }
}
