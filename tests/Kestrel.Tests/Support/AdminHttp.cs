using System.Net;
using System.Text.RegularExpressions;

namespace Kestrel.Tests.Support;

/// <summary>An HTTP client that signs in through the real sign-in form and keeps the session cookie; redirects are not followed.</summary>
public sealed partial class AdminHttp : IDisposable
{
    private AdminHttp(HttpClient client, CookieContainer cookies, Uri address)
    {
        Client = client;
        Cookies = cookies;
        Address = address;
    }

    public HttpClient Client { get; }
    public CookieContainer Cookies { get; }
    public Uri Address { get; }

    public static HttpClient Anonymous(KestrelServer server) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = server.Address };

    public static async Task<AdminHttp> SignInAsync(KestrelServer server, string password = WebUi.Password)
    {
        var (admin, status) = await PostSignInFormAsync(server, password);
        Assert.Equal(HttpStatusCode.Redirect, status);
        return admin;
    }

    /// <summary>What the sign-in form answers <paramref name="password"/>: a redirect when it signed in, 401 when wrong.</summary>
    public static async Task<HttpStatusCode> SignInStatusAsync(KestrelServer server, string password)
    {
        var (admin, status) = await PostSignInFormAsync(server, password);
        admin.Dispose();
        return status;
    }

    private static async Task<(AdminHttp Admin, HttpStatusCode Status)> PostSignInFormAsync(KestrelServer server, string password)
    {
        var cookies = new CookieContainer();
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = server.Address };
        var form = await client.GetStringAsync("/login");
        using var response = await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_csrf"] = HiddenCsrf(form),
            ["password"] = password,
        }));
        return (new AdminHttp(client, cookies, server.Address), response.StatusCode);
    }

    /// <summary>What <paramref name="server"/> answers a page request carrying this session's cookie (made at any node).</summary>
    public async Task<HttpStatusCode> ProjectsStatusAtAsync(KestrelServer server)
    {
        using var other = Anonymous(server);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/projects");
        request.Headers.Add("Cookie", $"kestrel_session={SessionCookie}");
        using var page = await other.SendAsync(request);
        return page.StatusCode;
    }

    /// <summary>The CSRF token a signed-in page carries in its forms.</summary>
    public async Task<string> CsrfTokenAsync() => HiddenCsrf(await Client.GetStringAsync("/projects"));

    public string SessionCookie => Cookies.GetCookies(Address)["kestrel_session"]?.Value ?? throw new InvalidOperationException("Not signed in.");

    public static string HiddenCsrf(string html) => CsrfField().Match(html) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("No CSRF field on the page.");

    [GeneratedRegex("name=\"_csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();

    public void Dispose() => Client.Dispose();
}
