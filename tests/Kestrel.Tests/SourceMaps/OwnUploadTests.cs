using System.Net;
using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.SourceMaps;

/// <summary>Maps uploaded with Kestrel's own endpoint resolve the frames of events posted to /api/events, built by the real esbuild.</summary>
public sealed class OwnUploadTests
{
    [Fact]
    public async Task A_minified_stack_resolves_to_original_files_lines_functions_and_context()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path);
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();

        var uploaded = await project.UploadOkAsync("1.0", ("static/js/app.min.js.map", await File.ReadAllBytesAsync(bundle + ".map")));
        Assert.Equal("static/js/app.min.js.map", uploaded.GetProperty("files")[0].GetProperty("name").GetString());
        Assert.True(File.Exists(Path.Combine(server.DataDirectory, "sourcemaps", project.Slug, "1.0", "static/js/app.min.js.map")));

        await project.IngestAsync(await NodeTools.ReportEventAsync(bundle, "1.0"));

        var e = await project.OnlyIssueLatestEventAsync();
        var frames = e.Frames();
        var top = frames[^1];
        Assert.Equal("src/validate.js", top.GetProperty("filename").GetString());
        Assert.Equal(5, top.GetProperty("lineno").GetInt32());
        Assert.Equal("validateOrder", top.GetProperty("function").GetString());
        Assert.Contains("throw new Error", top.GetProperty("context_line").GetString());
        Assert.Equal(4, top.GetProperty("pre_context").GetArrayLength()); // the file's lines 1-4
        Assert.Equal("if (!(total > 0)) {", top.GetProperty("pre_context")[3].GetString()!.Trim());
        Assert.Equal("release", top.GetProperty("data").GetProperty("resolved_with").GetString());
        Assert.Equal(["run", "placeOrder", "validateOrder"], frames.Select(f => f.GetProperty("function").GetString()));
        Assert.Equal(["src/main.js", "src/orders.js", "src/validate.js"], frames.Select(f => f.GetProperty("filename").GetString()));
        // The minified frames are kept beside the resolved ones.
        var raw = e.Frames("raw_stacktrace");
        Assert.Equal(1, raw[^1].GetProperty("lineno").GetInt32());
        Assert.StartsWith("https://cdn.example.com/static/js/app.min.js", raw[^1].GetProperty("abs_path").GetString());

        var issue = Assert.Single(await project.IssuesAsync());
        Assert.Equal("src/validate.js in validateOrder", issue.GetProperty("culprit").GetString());
    }
}
