using System.Globalization;
using System.Security.Claims;
using Kestrel.Projects;

namespace Kestrel.Mcp;

/// <summary>
/// The project an MCP call acts for, carried as the message's user: over HTTP the endpoint's token
/// check sets it on the request and the SDK hands it to every message; over stdio a message filter sets
/// it from KESTREL_TOKEN. Tools read it from there and nowhere else, so a call without it finds nothing.
/// </summary>
public static class McpCaller
{
    private const string ProjectClaim = "kestrel:project";
    private const string AuthenticationType = "KestrelProjectToken";

    public static ClaimsPrincipal Principal(Project project) =>
        new(new ClaimsIdentity([new Claim(ProjectClaim, project.Id.ToString(CultureInfo.InvariantCulture))], AuthenticationType));

    /// <returns>the project id, or null when no project token was accepted for this message</returns>
    public static long? ProjectId(ClaimsPrincipal? user) =>
        user?.Identity is { IsAuthenticated: true, AuthenticationType: AuthenticationType }
        && long.TryParse(user.FindFirst(ProjectClaim)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : null;
}
