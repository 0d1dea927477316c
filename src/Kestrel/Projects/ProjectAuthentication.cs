using Kestrel.Platform;

namespace Kestrel.Projects;

/// <summary>
/// The project a request acts for. Minimal APIs bind parameters before endpoint filters run, so the
/// credential is checked here, during binding; the group's filter then answers 401 when it found none.
/// </summary>
public sealed record Caller(Project Project)
{
    public long ProjectId => Project.Id;

    /// <summary>True when the web UI's admin session, not a project token, authorised the request.</summary>
    public bool ByAdminSession { get; init; }

    /// <summary>Who the activity log names for a change made by this caller.</summary>
    public string Actor => ByAdminSession ? Issues.Actors.Admin : Issues.Actors.Api;

    public static ValueTask<Caller?> BindAsync(HttpContext context) => ValueTask.FromResult(ProjectAuthentication.Authenticate(context));
}

public static class ProjectAuthentication
{
    /// <summary>
    /// What a group requires, and the (singleton) project store to look credentials up in: taken from the app's services
    /// once, so that a request needs no services of its own (a scope per request, about 0.4 KB, for one singleton).
    /// </summary>
    private sealed record Policy(bool AllowPublicKey, bool AllowAdminSession, ProjectStore Store);

    /// <summary>Why a request with an admin session was refused, kept for the group's filter to answer.</summary>
    private sealed record AdminRefusal(IResult Answer);

    /// <summary>
    /// Requires <c>Authorization: Bearer &lt;secret token&gt;</c> (or, when <paramref name="allowPublicKey"/>,
    /// the project's public key) on every endpoint of the group; answers 401 otherwise. With
    /// <paramref name="allowAdminSession"/>, a request without a bearer token may use the web UI's admin session instead.
    /// </summary>
    public static RouteGroupBuilder RequireProject(this RouteGroupBuilder group, bool allowPublicKey, Action<HttpContext>? onRejected = null,
        bool allowAdminSession = false)
    {
        var store = ((IEndpointRouteBuilder)group).ServiceProvider.GetRequiredService<ProjectStore>();
        group.WithMetadata(new Policy(allowPublicKey, allowAdminSession, store));
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (Authenticate(http) is not null) return await next(context);
            if (http.Items[typeof(AdminRefusal)] is AdminRefusal refusal) return refusal.Answer;
            onRejected?.Invoke(http);
            var credential = BearerToken.From(http.Request.Headers.Authorization.ToString());
            if (credential is null) return ApiError.Unauthorized("Send the project token as 'Authorization: Bearer <token>'.");
            // A real public key is a known identity without this right: 403, not 401.
            if (!allowPublicKey && ProjectTokens.LooksLikePublicKey(credential)
                && store.FindByPublicKey(credential) is not null)
                return ApiError.Forbidden("A public key can only send events; use the project's secret token here.");
            return ApiError.Unauthorized("The token is not valid for any project.");
        });
        return group;
    }

    /// <summary>Looks the credential up once per request; the result is kept in the request's items.</summary>
    internal static Caller? Authenticate(HttpContext http)
    {
        if (http.Items.TryGetValue(typeof(Caller), out var known)) return known as Caller;
        var policy = http.GetEndpoint()?.Metadata.GetMetadata<Policy>();
        var allowPublicKey = policy?.AllowPublicKey ?? false;
        var store = policy?.Store ?? http.RequestServices.GetRequiredService<ProjectStore>();
        var credential = BearerToken.Span(http.Request.Headers.Authorization.ToString());
        Project? project = null;
        if (ProjectTokens.LooksLikeSecretToken(credential)) project = store.FindBySecretToken(credential);
        else if (allowPublicKey && ProjectTokens.LooksLikePublicKey(credential)) project = store.FindByPublicKey(credential.ToString());
        var caller = project is null ? null : new Caller(project);
        if (credential.IsEmpty && policy is { AllowAdminSession: true })
        {
            (project, var refused) = Web.AdminApiAccess.Resolve(http);
            caller = project is null ? null : new Caller(project) { ByAdminSession = true };
            if (refused is not null) http.Items[typeof(AdminRefusal)] = new AdminRefusal(refused);
        }
        http.Items[typeof(Caller)] = caller;
        return caller;
    }
}
