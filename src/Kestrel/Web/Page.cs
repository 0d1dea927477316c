using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kestrel.Web;

/// <summary>What every signed-in page's frame needs: the CSRF token for its forms (sign-out included) and the project in view.</summary>
public sealed record Shell(string CsrfToken, string? ProjectSlug = null, string? ProjectName = null);

/// <summary>
/// The route group of every signed-in page. Its filter applies the rules once: without a session a
/// page redirects to the sign-in form; every POST must carry the session's CSRF token in <c>_csrf</c>.
/// </summary>
public static class Page
{
    /// <summary>Forms are small; a larger body is refused before it is read.</summary>
    private const long MaxFormBytes = 64 * 1024;

    public static RouteGroupBuilder MapPages(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (http.RequestServices.GetRequiredService<AdminSessions>().Find(http) is not { } session)
                return HttpMethods.IsGet(http.Request.Method)
                    ? Results.Redirect("/login?next=" + Uri.EscapeDataString(http.Request.Path + http.Request.QueryString))
                    : Results.Redirect("/login");
            if (HttpMethods.IsPost(http.Request.Method))
            {
                if (!LimitBody(http, MaxFormBytes)) return Message(413, "Too large", "That form was larger than any form of this site.");
                var form = await FormBody.ReadAsync(http, http.RequestAborted);
                if (form is null || !AdminSessions.CsrfMatches(session, form["_csrf"]))
                    return Message(403, "Form refused", "This form is out of date or was not sent from this site. Go back, reload the page and try again.");
            }
            return await next(context);
        });
        return group;
    }

    /// <returns>false when the declared length is over <paramref name="bytes"/>; a body without a length is cut off there while it is read</returns>
    public static bool LimitBody(HttpContext http, long bytes)
    {
        if (http.Request.ContentLength > bytes) return false;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = bytes;
        return true;
    }

    public static RazorComponentResult Render<TPage>(object parameters, int status = 200) where TPage : Microsoft.AspNetCore.Components.IComponent =>
        new RazorComponentResult<TPage>(parameters) { StatusCode = status };

    /// <summary>A page with one message, for errors and refusals.</summary>
    public static RazorComponentResult Message(int status, string title, string text, Shell? shell = null) =>
        Render<MessagePage>(new { Title = title, Text = text, Shell = shell }, status);

    /// <summary>
    /// Only a path on this site: <c>//host</c> and <c>/\host</c> would leave it (an open redirect). Characters a
    /// <c>Location</c> header cannot carry (spaces, non-ASCII) come back percent-encoded as UTF-8; a path that
    /// is not valid Unicode gives the fallback.
    /// </summary>
    public static string LocalPathOr(string? candidate, string fallback) =>
        candidate is { Length: > 0 and < 2000 } && candidate[0] == '/' && !candidate.StartsWith("//", StringComparison.Ordinal)
            && !candidate.Contains('\\') && !candidate.Any(char.IsControl) && HeaderSafe(candidate) is { } safe ? safe : fallback;

    private static string? HeaderSafe(string path)
    {
        if (path.All(c => c is > ' ' and <= '~')) return path;
        var text = new System.Text.StringBuilder(path.Length + 16);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (c is > ' ' and <= '~') { text.Append(c); continue; }
            if (!System.Text.Rune.TryGetRuneAt(path, i, out var rune)) return null; // half a surrogate pair
            var length = rune.EncodeToUtf8(utf8);
            foreach (var b in utf8[..length]) text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            i += rune.Utf16SequenceLength - 1;
        }
        return text.ToString();
    }
}
