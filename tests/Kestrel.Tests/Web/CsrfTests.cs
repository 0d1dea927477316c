using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Web;

/// <summary>State changes need the session's CSRF token; the issues API also takes the admin session (PRODUCT.md §6).</summary>
public sealed class CsrfTests
{
    [Fact]
    public async Task A_state_change_without_the_csrf_token_or_with_another_is_refused_and_changes_nothing()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_ADMIN_PASSWORD"] = WebUi.Password });
        var project = await server.CreateProjectAsync("app");
        await project.IngestAsync(Events.Message("hello"));
        using var admin = await AdminHttp.SignInAsync(server);
        using var other = await AdminHttp.SignInAsync(server); // a second session: its token is not this session's
        var foreign = await other.CsrfTokenAsync();

        foreach (var csrf in new string?[] { null, "", "forged", foreign })
        {
            foreach (var (path, fields) in new (string, Dictionary<string, string>)[]
            {
                ("/projects/app/issues/1/status", new() { ["status"] = "resolved", ["commit_sha"] = "abcdef1" }),
                ("/projects/app/issues/bulk", new() { ["status"] = "ignored", ["id"] = "1" }),
                ("/projects", new() { ["name"] = "sneaky" }),
                ("/projects/app/rotate-token", new()),
                ("/logout", new()),
            })
            {
                if (csrf is not null) fields["_csrf"] = csrf;
                using var response = await admin.Client.PostAsync(path, new FormUrlEncodedContent(fields));
                Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
                Assert.Contains("This form is out of date or was not sent from this site", await response.Content.ReadAsStringAsync());
            }
        }
        using var json = await admin.Client.PostAsync("/projects/app/issues/1/status", JsonContent.Create(new { status = "resolved" }));
        Assert.Equal(HttpStatusCode.Forbidden, json.StatusCode);

        Assert.Equal("open", (await project.GetJsonAsync("/api/issues/1")).GetProperty("status").GetString());
        using var stillWorks = await project.PostEventAsync(Events.Message("token not rotated"));
        Assert.Equal(HttpStatusCode.OK, stillWorks.StatusCode);
        Assert.Single((await KestrelProcess.RunAsync(server.DataDirectory, null, "project", "list", "--json")).Json.EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, (await admin.Client.GetAsync("/projects")).StatusCode); // still signed in

        using var good = await admin.Client.PostAsync("/projects/app/issues/1/status", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_csrf"] = await admin.CsrfTokenAsync(), ["status"] = "resolved", ["commit_sha"] = "abcdef1",
        }));
        Assert.Equal(HttpStatusCode.Redirect, good.StatusCode);
        Assert.Equal("abcdef1", (await project.GetJsonAsync("/api/issues/1")).GetProperty("resolution").GetProperty("commitSha").GetString());
    }

    [Fact]
    public async Task The_issues_api_takes_the_admin_session_with_a_named_project_and_a_csrf_header_for_changes()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_ADMIN_PASSWORD"] = WebUi.Password });
        var alpha = await server.CreateProjectAsync("alpha");
        var beta = await server.CreateProjectAsync("beta");
        await alpha.IngestAsync(Events.Exception("AlphaError", "a"));
        await beta.IngestAsync(Events.Exception("BetaError", "b"));
        var betaIssue = (await beta.IssuesAsync()).Single().GetProperty("id").GetInt64();
        using var admin = await AdminHttp.SignInAsync(server);

        var list = JsonDocument.Parse(await admin.Client.GetStringAsync("/api/issues?project=beta")).RootElement;
        Assert.Equal("BetaError", list.GetProperty("issues").EnumerateArray().Single().GetProperty("type").GetString());
        var one = JsonDocument.Parse(await admin.Client.GetStringAsync($"/api/issues/{betaIssue}")).RootElement;
        Assert.Equal("beta", one.GetProperty("project").GetString());
        Assert.Single(JsonDocument.Parse(await admin.Client.GetStringAsync($"/api/issues/{betaIssue}/events")).RootElement.GetProperty("events").EnumerateArray());

        await AssertError(admin.Client.GetAsync("/api/issues"), HttpStatusCode.BadRequest, "?project=");
        await AssertError(admin.Client.GetAsync("/api/issues?project=gamma"), HttpStatusCode.NotFound, "gamma");
        await AssertError(admin.Client.GetAsync($"/api/issues/{betaIssue}?project=alpha"), HttpStatusCode.NotFound, "does not exist");
        await AssertError(admin.Client.GetAsync("/api/issues/99999"), HttpStatusCode.NotFound, "does not exist");

        // Pages are scoped by the project in the path too: beta's issue is not found under alpha.
        Assert.Equal(HttpStatusCode.NotFound, (await admin.Client.GetAsync($"/projects/alpha/issues/{betaIssue}")).StatusCode);
        using (var crossProject = await admin.Client.PostAsync($"/projects/alpha/issues/{betaIssue}/status", new FormUrlEncodedContent(
            new Dictionary<string, string> { ["_csrf"] = await admin.CsrfTokenAsync(), ["status"] = "resolved" })))
            Assert.Equal(HttpStatusCode.NotFound, crossProject.StatusCode);
        Assert.Equal("open", (await beta.GetJsonAsync($"/api/issues/{betaIssue}")).GetProperty("status").GetString());

        await AssertError(admin.Client.PatchAsync($"/api/issues/{betaIssue}", JsonContent.Create(new { status = "ignored" })), HttpStatusCode.Forbidden, "X-CSRF-Token");
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/issues/{betaIssue}") { Content = JsonContent.Create(new { status = "ignored", reason = "noise" }) };
        patch.Headers.Add("X-CSRF-Token", await admin.CsrfTokenAsync());
        using var patched = await admin.Client.SendAsync(patch);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal("ignored", (await beta.GetJsonAsync($"/api/issues/{betaIssue}")).GetProperty("status").GetString());
    }

    private static async Task AssertError(Task<HttpResponseMessage> sending, HttpStatusCode status, string named)
    {
        using var response = await sending;
        Assert.Equal(status, response.StatusCode);
        Assert.Contains(named, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }
}
