using System.Net.Sockets;
using System.Text;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Operations;

/// <summary>
/// Issue 17 §5: a client that half-closes its connection in the middle of a body once made the server
/// log an error with a full stack trace (~2.3 KB a request), so anyone could flood the log. Such a body
/// is now a 400 (counted as <c>incomplete_body</c> for ingest), logged at debug level, which is not shown by default.
/// A form cut short once left ASP.NET's form reader in a read, and Kestrel logged a warning with a stack trace.
/// </summary>
public sealed class AbortedBodyTests
{
    private const int RequestsPerPath = 40; // the sign-in form once failed about one request in twelve
    private const string MetricsToken = "metrics-token-for-aborted-bodies";

    [Fact]
    public async Task Bodies_cut_short_are_400_and_leave_the_log_as_it_was()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string>
        {
            ["KESTREL_ADMIN_PASSWORD"] = WebUi.Password,
            ["KESTREL_METRICS_TOKEN"] = MetricsToken,
        });
        var project = await server.CreateProjectAsync();
        using var admin = await AdminHttp.SignInAsync(server);
        // Ingest with a public key, ingest with a token, an upload, the sign-in form, a signed-in page's form:
        // everything that reads a body.
        var requests = new[]
        {
            ($"/api/{project.Id}/envelope/?sentry_key={project.PublicKey}", "", "application/x-sentry-envelope"),
            ($"/api/{project.Id}/store/?sentry_key={project.PublicKey}", "", "application/json"),
            ("/api/events", $"Authorization: Bearer {project.Token}\r\n", "application/json"),
            ("/api/releases/1.0/sourcemaps", $"Authorization: Bearer {project.Token}\r\n", "multipart/form-data; boundary=x"),
            ("/login", "", "application/x-www-form-urlencoded"),
            ("/logout", $"Cookie: kestrel_session={admin.SessionCookie}\r\n", "application/x-www-form-urlencoded"),
        };
        var logBefore = server.Log.Length;

        foreach (var (path, headers, contentType) in requests)
            for (var i = 0; i < RequestsPerPath; i++)
            {
                // Kestrel closes the connection once the client has half-closed it (it cannot tell a half-close
                // from a close), so the 400 rarely reaches the client; what matters is what the server does.
                var status = await SendCutShortAsync(server.Address, path, headers + $"Content-Type: {contentType}\r\n");
                Assert.True(status is 400 or 0, $"{path}: {status}");
            }

        // The server still works, and said nothing about any of it.
        await project.IngestAsync(Events.Message("after the aborted bodies"));
        var grown = server.Log[logBefore..];
        Assert.True(grown.Length < 500, $"the log grew {grown.Length} characters:\n{grown[..Math.Min(grown.Length, 3000)]}");
        Assert.DoesNotContain("fail:", grown);
        // The three ingest paths answered (or would have) 400 incomplete_body.
        using var metrics = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        metrics.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", MetricsToken);
        using var answer = await server.Http.SendAsync(metrics);
        Assert.Contains($"kestrel_ingest_rejected_total{{reason=\"incomplete_body\"}} {3 * RequestsPerPath}", await answer.Content.ReadAsStringAsync());
    }

    /// <summary>Announces 1,000 bytes, sends 100, half-closes, and reads the status of the answer.</summary>
    private static async Task<int> SendCutShortAsync(Uri server, string path, string headers)
    {
        using var socket = await RawHttp.ConnectAsync(server);
        await RawHttp.SendHeadAsync(socket, server, path, headers, 1000);
        await socket.SendAsync(Encoding.ASCII.GetBytes("{\"a\":\"" + new string('x', 94)));
        socket.Shutdown(SocketShutdown.Send);
        return await RawHttp.ReadStatusAsync(socket, TimeSpan.FromSeconds(30));
    }
}
