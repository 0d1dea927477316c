using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.SourceMaps;

/// <summary>Unmodified sentry-cli 3.8.0 and 2.58.x upload maps to Kestrel; events then resolve by debug ID or by release.</summary>
public sealed class SentryCliTests
{
    private static Task<NodeTools.ToolResult> SentryCliAsync(string binary, TestProject project, string directory, params string[] args) =>
        NodeTools.RunAsync(binary, directory, null, ["--url", project.Server.Address.ToString(), "--auth-token", project.Token, "--log-level", "info", .. args]);

    private static void AssertSucceeded(NodeTools.ToolResult result, string what) =>
        Assert.True(result.ExitCode == 0, $"{what} failed ({result.ExitCode}):\n{result.Stdout}\n{result.Stderr}");

    [Fact]
    public async Task Sentry_cli_3_inject_and_upload_without_a_release_resolves_by_debug_id()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path);
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_ADMIN_PASSWORD"] = WebUi.Password });
        var project = await server.CreateProjectAsync();
        var dist = Path.GetDirectoryName(bundle)!;

        AssertSucceeded(await SentryCliAsync(NodeTools.SentryCli3, project, build.Path, "sourcemaps", "inject", dist), "sourcemaps inject");
        var upload = await SentryCliAsync(NodeTools.SentryCli3, project, build.Path, "sourcemaps", "upload", "--org", "any-org", "--project", project.Slug, dist);
        AssertSucceeded(upload, "sourcemaps upload");
        Assert.Contains("File processing complete", upload.Stdout + upload.Stderr);

        var debugId = JsonDocument.Parse(await File.ReadAllTextAsync(bundle + ".map")).RootElement.GetProperty("debugId").GetString()!;
        // No release: the map is kept under the reserved directory, by debug ID.
        Assert.True(StoredFiles.Exists(server, $"{project.Slug}/~none/{debugId}/app.min.js.map"));

        // It belongs to no release, yet the releases API and page show it, by debug ID.
        var releases = await project.GetJsonAsync("/api/releases");
        Assert.Empty(releases.GetProperty("releases").EnumerateArray());
        var listed = Assert.Single(releases.GetProperty("withoutRelease").EnumerateArray());
        Assert.Equal(debugId, listed.GetProperty("debugId").GetString());
        Assert.Contains("app.min.js.map", listed.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        using (var admin = await AdminHttp.SignInAsync(server))
        {
            var page = await admin.Client.GetStringAsync($"/projects/{project.Slug}/releases");
            Assert.Contains("Uploaded without a release", page);
            Assert.Contains(debugId, page);
            Assert.DoesNotContain("No releases yet", page);
        }

        var reported = await NodeTools.ReportEventAsync(bundle, release: "");
        Assert.Contains(debugId, reported);
        await project.IngestAsync(reported);

        var frames = (await project.OnlyIssueLatestEventAsync()).Frames();
        Assert.Equal(["run", "placeOrder", "validateOrder"], frames.Select(f => f.GetProperty("function").GetString()));
        Assert.Equal(5, frames[^1].GetProperty("lineno").GetInt32()); // inject shifted the map by two lines; still the throw
        Assert.Equal("debug-id", frames[^1].GetProperty("data").GetProperty("resolved_with").GetString());
    }

    [Fact]
    public async Task Sentry_cli_3_uploads_with_a_release_and_manages_releases()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path);
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var dist = Path.GetDirectoryName(bundle)!;

        AssertSucceeded(await SentryCliAsync(NodeTools.SentryCli3, project, build.Path, "releases", "new", "--org", "o", "--project", project.Slug, "shop@3.1.0"), "releases new");
        AssertSucceeded(await SentryCliAsync(NodeTools.SentryCli3, project, build.Path,
            "sourcemaps", "upload", "--org", "o", "--project", project.Slug, "--release", "shop@3.1.0", "--url-prefix", "~/static/js", dist), "sourcemaps upload");
        AssertSucceeded(await SentryCliAsync(NodeTools.SentryCli3, project, build.Path, "releases", "finalize", "--org", "o", "--project", project.Slug, "shop@3.1.0"), "releases finalize");

        var release = Assert.Single((await project.GetJsonAsync("/api/releases")).GetProperty("releases").EnumerateArray());
        Assert.Equal("shop@3.1.0", release.GetProperty("name").GetString());
        Assert.True(release.TryGetProperty("finalizedAt", out _));
        var files = (await project.GetJsonAsync(UploadClient.ReleasePath("shop@3.1.0"))).GetProperty("files").EnumerateArray().ToArray();
        Assert.Equal(["static/js/app.min.js", "static/js/app.min.js.map"], files.Select(f => f.GetProperty("name").GetString()));
        Assert.Equal("app.min.js.map", files[0].GetProperty("sourceMappingUrl").GetString());

        // Release and URL, no debug ID: the map is found through the script's sourceMappingURL.
        await project.IngestAsync(await NodeTools.ReportEventAsync(bundle, "shop@3.1.0"));
        var top = (await project.OnlyIssueLatestEventAsync()).Frames()[^1];
        Assert.Equal("src/validate.js", top.GetProperty("filename").GetString());
        Assert.Equal("release", top.GetProperty("data").GetProperty("resolved_with").GetString());
    }

    [Fact]
    public async Task Sentry_cli_2_58_releases_files_upload_sourcemaps_resolves_by_release()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path);
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var dist = Path.GetDirectoryName(bundle)!;
        string[] target = ["--org", "any", "--project", project.Slug];

        AssertSucceeded(await SentryCliAsync(NodeTools.SentryCli2, project, build.Path, ["releases", .. target, "new", "web@2.0.0"]), "releases new");
        var upload = await SentryCliAsync(NodeTools.SentryCli2, project, build.Path,
            ["releases", .. target, "files", "web@2.0.0", "upload-sourcemaps", "--url-prefix", "~/static/js", dist]);
        AssertSucceeded(upload, "releases files upload-sourcemaps");
        Assert.Contains("artifact bundle", upload.Stdout + upload.Stderr);
        AssertSucceeded(await SentryCliAsync(NodeTools.SentryCli2, project, build.Path, ["releases", .. target, "finalize", "web@2.0.0"]), "releases finalize");

        Assert.True(StoredFiles.Exists(server, $"{project.Slug}/web@2.0.0/static/js/app.min.js.map"));
        var release = Assert.Single((await project.GetJsonAsync("/api/releases")).GetProperty("releases").EnumerateArray());
        Assert.True(release.TryGetProperty("finalizedAt", out _));

        await project.IngestAsync(await NodeTools.ReportEventAsync(bundle, "web@2.0.0"));
        var frames = (await project.OnlyIssueLatestEventAsync()).Frames();
        Assert.Equal(["src/main.js", "src/orders.js", "src/validate.js"], frames.Select(f => f.GetProperty("filename").GetString()));
    }

    [Fact]
    public async Task Sentry_cli_with_a_wrong_token_fails_and_stores_nothing()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path);
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var wrong = project with { Token = "kst_" + new string('A', 43) };

        var result = await SentryCliAsync(NodeTools.SentryCli3, wrong, build.Path,
            "sourcemaps", "upload", "--org", "o", "--project", project.Slug, "--release", "r1", Path.GetDirectoryName(bundle)!);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Empty((await project.GetJsonAsync("/api/releases")).GetProperty("releases").EnumerateArray());
        Assert.Empty(StoredFiles.Paths(server, project.Slug + "/"));
    }
}
