using Kestrel.Tests.Support;

namespace Kestrel.Tests.SourceMaps;

/// <summary>
/// The whole path with real tools: esbuild bundles and minifies the app, node runs it under @sentry/node,
/// which sends the real error to Kestrel's envelope endpoint; maps come from Kestrel's own upload or sentry-cli.
/// </summary>
public sealed class SentryNodeTests
{
    [Fact]
    public async Task A_sentry_node_event_resolves_with_maps_from_the_own_upload_and_groups_across_builds()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        var bundle1 = await NodeTools.BuildAppAsync(first.Path, entry: "sentry-main.js");
        var bundle2 = await NodeTools.BuildAppAsync(second.Path, entry: "sentry-main.js", banner: "var buildId=\"second\";", extraArgs: ["--minify-whitespace=false"]);
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        // @sentry/node names the bundle by its absolute path, which ends in dist/app.min.js.
        await project.UploadOkAsync("shop@1.0.0", ("dist/app.min.js.map", await File.ReadAllBytesAsync(bundle1 + ".map")));
        await project.UploadOkAsync("shop@1.0.1", ("dist/app.min.js.map", await File.ReadAllBytesAsync(bundle2 + ".map")));

        await NodeTools.ReportWithSentryNodeAsync(bundle1, project, "shop@1.0.0");
        var e = await project.OnlyIssueLatestEventAsync();
        var frames = e.Frames().Where(f => f.GetProperty("in_app").GetBoolean()).ToArray();
        var top = frames[^1];
        Assert.Equal("src/validate.js", top.GetProperty("filename").GetString());
        Assert.Equal(5, top.GetProperty("lineno").GetInt32());
        Assert.Equal("validateOrder", top.GetProperty("function").GetString());
        Assert.Equal("throw new Error(`Order ${order.id} has no items`);", top.GetProperty("context_line").GetString()!.Trim());
        Assert.Equal("}", top.GetProperty("post_context")[0].GetString()!.Trim());
        Assert.Equal(["src/sentry-main.js", "src/main.js", "src/orders.js", "src/validate.js"], frames.Select(f => f.GetProperty("filename").GetString()));
        // The frames as @sentry/node sent them: the bundle's own path, line 1, and the minified line as context.
        var raw = e.Frames("raw_stacktrace")[^1];
        Assert.EndsWith("dist/app.min.js", raw.GetProperty("filename").GetString());

        await NodeTools.ReportWithSentryNodeAsync(bundle2, project, "shop@1.0.1");
        var issue = Assert.Single(await project.IssuesAsync());
        Assert.Equal(2, issue.GetProperty("eventCount").GetInt64());
        Assert.Equal("src/validate.js in validateOrder", issue.GetProperty("culprit").GetString());
    }

    [Fact]
    public async Task A_bundle_injected_by_sentry_cli_3_resolves_by_debug_id()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path, entry: "sentry-main.js");
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var dist = Path.GetDirectoryName(bundle)!;
        string[] connection = ["--url", server.Address.ToString(), "--auth-token", project.Token];
        Assert.Equal(0, (await NodeTools.RunAsync(NodeTools.SentryCli3, build.Path, null, [.. connection, "sourcemaps", "inject", dist])).ExitCode);
        var upload = await NodeTools.RunAsync(NodeTools.SentryCli3, build.Path, null, [.. connection, "sourcemaps", "upload", "--org", "o", "--project", project.Slug, dist]);
        Assert.True(upload.ExitCode == 0, upload.Stderr);

        await NodeTools.ReportWithSentryNodeAsync(bundle, project, release: null);

        var e = await project.OnlyIssueLatestEventAsync();
        Assert.False(e.TryGetProperty("release", out _));
        Assert.Equal("sourcemap", e.GetProperty("debug_meta").GetProperty("images")[0].GetProperty("type").GetString());
        var top = e.Frames()[^1];
        Assert.Equal("validateOrder", top.GetProperty("function").GetString());
        Assert.Equal(5, top.GetProperty("lineno").GetInt32());
        Assert.Equal("debug-id", top.GetProperty("data").GetProperty("resolved_with").GetString());
    }

    [Fact]
    public async Task Maps_uploaded_by_sentry_cli_2_resolve_a_sentry_node_event_by_release()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path, entry: "sentry-main.js");
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        string[] connection = ["--url", server.Address.ToString(), "--auth-token", project.Token];
        var upload = await NodeTools.RunAsync(NodeTools.SentryCli2, build.Path, null,
            [.. connection, "releases", "--org", "o", "--project", project.Slug, "files", "api@7.2.0", "upload-sourcemaps", "--url-prefix", "~/dist", Path.GetDirectoryName(bundle)!]);
        Assert.True(upload.ExitCode == 0, upload.Stderr);

        await NodeTools.ReportWithSentryNodeAsync(bundle, project, "api@7.2.0");

        var top = (await project.OnlyIssueLatestEventAsync()).Frames()[^1];
        Assert.Equal("src/validate.js", top.GetProperty("filename").GetString());
        Assert.Equal("release", top.GetProperty("data").GetProperty("resolved_with").GetString());
    }
}
