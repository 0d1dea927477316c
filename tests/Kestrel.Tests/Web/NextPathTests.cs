using System.Net;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Web;

/// <summary>
/// Issue 17 §6: a <c>next</c> path with non-ASCII characters once made a 500 (a Location header must be
/// ASCII), signed in or right after signing in. It is now followed, percent-encoded.
/// </summary>
public sealed class NextPathTests
{
    [Fact]
    public async Task A_non_ascii_next_path_is_a_redirect_to_the_percent_encoded_path_never_a_500()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_ADMIN_PASSWORD"] = WebUi.Password });

        // Signing in with next=/é.
        var cookies = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = server.Address };
        var form = await client.GetStringAsync("/login?next=/%C3%A9");
        using (var signIn = await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_csrf"] = AdminHttp.HiddenCsrf(form),
            ["password"] = WebUi.Password,
            ["next"] = "/é",
        })))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
            Assert.Equal("/%C3%A9", signIn.Headers.Location!.OriginalString);
        }

        // Signed in already: the same link, and one with a lone surrogate escape, which is no path at all.
        using (var again = await client.GetAsync("/login?next=/%C3%A9%20x"))
        {
            Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
            Assert.Equal("/%C3%A9%20x", again.Headers.Location!.OriginalString);
        }
        using (var broken = await client.GetAsync("/login?next=/%ED%A0%80"))
        {
            Assert.Equal(HttpStatusCode.Redirect, broken.StatusCode);
            Assert.StartsWith("/", broken.Headers.Location!.OriginalString);
        }
    }
}
