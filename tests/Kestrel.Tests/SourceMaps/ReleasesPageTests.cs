using System.Net;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.SourceMaps;

/// <summary>The web UI's releases page: each release with its maps and scripts, names escaped, session required.</summary>
public sealed class ReleasesPageTests
{
    private const string Map = """{"version":3,"sources":["src/a.js"],"names":[],"mappings":"AAAA"}""";

    [Fact]
    public async Task Releases_are_listed_with_their_files_and_hostile_names_stay_text()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_ADMIN_PASSWORD"] = WebUi.Password });
        var project = await server.CreateProjectAsync("shop");
        await project.UploadOkAsync("web@1.4.0", ("static/js/app.min.js.map", System.Text.Encoding.UTF8.GetBytes(Map)));
        await project.UploadOkAsync("<script>alert(1)</script>", ("x.js.map", System.Text.Encoding.UTF8.GetBytes(Map)));

        using (var anonymous = AdminHttp.Anonymous(server))
        using (var refused = await anonymous.GetAsync("/projects/shop/releases"))
            Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);

        using var admin = await AdminHttp.SignInAsync(server);
        var html = await admin.Client.GetStringAsync("/projects/shop/releases");
        Assert.Contains("web@1.4.0", html);
        Assert.Contains("static/js/app.min.js.map", html);
        Assert.Contains("source map", html);
        Assert.DoesNotContain("debug id", html); // no file has one, so no column of empty cells
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.DoesNotContain("<script>alert(1)", html);
        Assert.Contains("/projects/shop/releases", await admin.Client.GetStringAsync("/projects/shop/settings"));
        using var missing = await admin.Client.GetAsync("/projects/nope/releases");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
