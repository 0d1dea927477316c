using System.Security.Cryptography;
using System.Text;
using Kestrel.Platform;

namespace Kestrel.Web;

/// <summary>
/// Sign-in and sign-out. The sign-in form has its own CSRF token (a random value in a cookie and in the
/// form, which another site can neither read nor set), so no one can sign a browser into their session.
/// </summary>
public static class LoginEndpoints
{
    private const string FormCookie = "kestrel_login";

    public static void MapLogin(this IEndpointRouteBuilder app, RouteGroupBuilder pages)
    {
        app.MapGet("/login", ShowForm);
        app.MapPost("/login", SignIn).DisableAntiforgery();
        pages.MapPost("/logout", SignOut);
    }

    private static IResult ShowForm(HttpContext http, AdminSessions sessions, KestrelOptions options, string? next)
    {
        if (sessions.Find(http) is not null) return Results.Redirect(Page.LocalPathOr(next, "/projects"));
        return Form(http, options, next, null, 200);
    }

    private static IResult Form(HttpContext http, KestrelOptions options, string? next, string? error, int status)
    {
        var token = DataDirectory.RandomUrlSafe(24);
        http.Response.Cookies.Append(FormCookie, token, CookieOptions(http, options, expires: null, sameSite: SameSiteMode.Strict));
        return Page.Render<LoginPage>(new { FormToken = token, Next = Page.LocalPathOr(next, "/projects"), Error = error }, status);
    }

    private static async Task<IResult> SignIn(HttpContext http, AdminSessions sessions, LoginThrottle throttle, KestrelOptions options, CancellationToken cancellationToken)
    {
        if (!Page.LimitBody(http, 16 * 1024) || await FormBody.ReadAsync(http, cancellationToken) is not { } form)
            return Form(http, options, null, "Send the sign-in form.", 400);
        var next = form["next"].ToString();
        var expected = http.Request.Cookies[FormCookie];
        if (expected is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(form["_csrf"].ToString())))
            return Form(http, options, next, "The sign-in form had expired; enter the password again.", 400);

        var client = http.Connection.RemoteIpAddress;
        if (throttle.WaitFor(client) is { } wait)
        {
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Form(http, options, next, $"Too many wrong passwords from your address. Wait {seconds} seconds, then try again.", 429);
        }
        if (await sessions.StartAsync(form["password"].ToString(), cancellationToken) is not (var cookie, var expires))
        {
            throttle.Failed(client);
            return Form(http, options, next, "Wrong password.", 401);
        }
        throttle.Succeeded(client);
        http.Response.Cookies.Append(AdminSessions.CookieName, cookie, CookieOptions(http, options, expires, SameSiteMode.Lax));
        http.Response.Cookies.Delete(FormCookie);
        return Results.Redirect(Page.LocalPathOr(next, "/projects"));
    }

    private static async Task<IResult> SignOut(HttpContext http, AdminSession session, AdminSessions sessions, KestrelOptions options, CancellationToken cancellationToken)
    {
        await sessions.EndAsync(session, cancellationToken);
        http.Response.Cookies.Delete(AdminSessions.CookieName, CookieOptions(http, options, null, SameSiteMode.Lax));
        return Results.Redirect("/login");
    }

    /// <summary>HttpOnly always; Secure when this request or the public URL is HTTPS (behind a TLS proxy the first is false).</summary>
    private static CookieOptions CookieOptions(HttpContext http, KestrelOptions options, DateTimeOffset? expires, SameSiteMode sameSite) => new()
    {
        HttpOnly = true,
        SameSite = sameSite,
        Secure = http.Request.IsHttps || options.PublicUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase),
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };
}
