using System.Net;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Web;

/// <summary>
/// KESTREL_TRUSTED_PROXIES: X-Forwarded-For and X-Forwarded-Proto are believed from the listed proxies only. The tests
/// reach the server from 127.0.0.1 and name documentation addresses (RFC 5737) in the headers: no packet goes there.
/// </summary>
public sealed class TrustedProxiesTests
{
    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task Behind_a_trusted_proxy_sign_in_throttling_counts_per_forwarded_client_and_cookies_follow_the_forwarded_scheme()
    {
        await using var server = await StartAsync(trusted: "127.0.0.1");
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(server, "wrong", forwardedFor: "198.51.100.7"));
        Assert.Equal((HttpStatusCode)429, await SignInAsync(server, Password, forwardedFor: "198.51.100.7"));
        // Another client behind the same proxy has its own budget; so does the proxy itself.
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(server, "wrong", forwardedFor: "198.51.100.8"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(server, "wrong", forwardedFor: null));

        using var https = await SignInResponseAsync(server, Password, forwardedFor: "198.51.100.9", forwardedProto: "https");
        Assert.Equal(HttpStatusCode.Redirect, https.StatusCode);
        Assert.Contains("secure", SessionCookie(https), StringComparison.OrdinalIgnoreCase);
        using var http = await SignInResponseAsync(server, Password, forwardedFor: "198.51.100.9", forwardedProto: "http");
        Assert.DoesNotContain("secure", SessionCookie(http), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(null)]             // the default: no proxy is trusted
    [InlineData("10.0.0.0/8")]     // a proxy network that is not where the requests come from
    public async Task Forwarded_headers_from_an_address_not_trusted_are_ignored(string? trusted)
    {
        await using var server = await StartAsync(trusted);
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(server, "wrong", forwardedFor: $"198.51.100.{i + 1}"));
        // Every attempt counted against 127.0.0.1, whatever the header claimed.
        Assert.Equal((HttpStatusCode)429, await SignInAsync(server, Password, forwardedFor: "198.51.100.200"));
    }

    [Theory]
    [InlineData("proxy.internal", "'proxy.internal' is neither")]
    [InlineData("10.0.0.0/33", "'10.0.0.0/33' is neither")]
    [InlineData(" , ", "must name at least one address or CIDR")]
    public async Task A_bad_list_stops_the_server_with_one_sentence(string value, string expected)
    {
        using var data = new TempDirectory();
        var result = await KestrelProcess.RunAsync(data.Path, new Dictionary<string, string> { ["KESTREL_TRUSTED_PROXIES"] = value }, "serve");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("kestrel: Setting KESTREL_TRUSTED_PROXIES must ", result.Stderr);
        Assert.Contains(expected, result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(data.Path));
    }

    private static Task<KestrelServer> StartAsync(string? trusted)
    {
        var environment = new Dictionary<string, string> { ["KESTREL_ADMIN_PASSWORD"] = Password };
        if (trusted is not null) environment["KESTREL_TRUSTED_PROXIES"] = trusted;
        return KestrelServer.StartAsync(environment);
    }

    private static async Task<HttpStatusCode> SignInAsync(KestrelServer server, string password, string? forwardedFor)
    {
        using var response = await SignInResponseAsync(server, password, forwardedFor, forwardedProto: null);
        return response.StatusCode;
    }

    /// <summary>The real sign-in form: its form cookie and CSRF field, then the post, with the proxy's headers on both.</summary>
    private static async Task<HttpResponseMessage> SignInResponseAsync(KestrelServer server, string password, string? forwardedFor, string? forwardedProto)
    {
        // Cookies by hand: a container would not send a Secure form cookie back over the test's plain HTTP.
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = server.Address };
        if (forwardedFor is not null) client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        if (forwardedProto is not null) client.DefaultRequestHeaders.Add("X-Forwarded-Proto", forwardedProto);
        using var form = await client.GetAsync("/login");
        var formCookie = form.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        using var post = new HttpRequestMessage(HttpMethod.Post, "/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_csrf"] = AdminHttp.HiddenCsrf(await form.Content.ReadAsStringAsync()),
                ["password"] = password,
            }),
        };
        post.Headers.Add("Cookie", formCookie);
        return await client.SendAsync(post);
    }

    private static string SessionCookie(HttpResponseMessage response) =>
        response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("kestrel_session=", StringComparison.Ordinal));
}
