using System.Net;
using Kestrel.Tests.Mcp;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.SourceMaps;

/// <summary>
/// An event stored before its map arrived shows original frames everywhere it is shown once the map is
/// uploaded: the MCP server over HTTP and over stdio (a separate process reading the same data) and the
/// web UI's issue page, as the REST API does (<see cref="OwnUploadTests"/>).
/// </summary>
public sealed class DisplayResolutionTests
{
    [Fact]
    public async Task Mcp_and_the_issue_page_resolve_an_event_stored_before_its_map()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path);
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_ADMIN_PASSWORD"] = WebUi.Password });
        var project = await server.CreateProjectAsync("shop");
        await project.IngestAsync(await NodeTools.ReportEventAsync(bundle, "1.0"));
        var issueId = Assert.Single(await project.IssuesAsync()).GetProperty("id").GetInt64();

        await using (var http = await McpConnections.HttpAsync(server, project.Token))
            Assert.DoesNotContain("src/validate.js", (await http.CallAsync("get_error", new { issue_id = issueId })).Text());

        await project.UploadOkAsync("1.0", ("static/js/app.min.js.map", await File.ReadAllBytesAsync(bundle + ".map")));

        await using (var http = await McpConnections.HttpAsync(server, project.Token))
            Assert.Contains("src/validate.js", (await http.CallAsync("get_error", new { issue_id = issueId })).Text());
        await using (var stdio = await McpConnections.StdioAsync(server.DataDirectory, project.Token))
            Assert.Contains("src/validate.js", (await stdio.CallAsync("get_error", new { issue_id = issueId })).Text());

        using var admin = await AdminHttp.SignInAsync(server);
        using var page = await admin.Client.GetAsync($"/projects/{project.Slug}/issues/{issueId}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("src/validate.js", html);
        Assert.Contains("validateOrder", html);
        // The minified frames are offered next to the resolved ones.
        Assert.Contains("Minified frames as the SDK sent them", html);
        Assert.Contains("app.min.js", html);
    }
}
