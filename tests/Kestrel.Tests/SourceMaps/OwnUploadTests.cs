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
        Assert.True(StoredFiles.Exists(server, $"{project.Slug}/1.0/static/js/app.min.js.map"));

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

    [Fact]
    public async Task Throws_from_the_same_function_in_two_builds_group_into_one_issue()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        var bundle1 = await NodeTools.BuildAppAsync(first.Path);
        var bundle2 = await NodeTools.BuildAppAsync(second.Path, banner: "var buildId=\"2026-11-27-second-build\";", extraArgs: ["--minify-whitespace=false"]);
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.UploadOkAsync("1.0", ("app.min.js.map", await File.ReadAllBytesAsync(bundle1 + ".map")));
        await project.UploadOkAsync("2.0", ("app.min.js.map", await File.ReadAllBytesAsync(bundle2 + ".map")));

        var event1 = await NodeTools.ReportEventAsync(bundle1, "1.0");
        var event2 = await NodeTools.ReportEventAsync(bundle2, "2.0");
        Assert.NotEqual(Columns(event1), Columns(event2)); // the minified positions really differ
        await project.IngestAsync(event1);
        await project.IngestAsync(event2);

        var issue = Assert.Single(await project.IssuesAsync());
        Assert.Equal(2, issue.GetProperty("eventCount").GetInt64());
    }

    private static string Columns(string json) =>
        string.Join(",", JsonDocument.Parse(json).RootElement.Frames().Select(f => $"{f.GetProperty("lineno").GetInt32()}:{f.GetProperty("colno").GetInt32()}"));

    [Fact]
    public async Task A_stored_minified_file_leads_to_its_map_through_sourceMappingURL()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path);
        var script = (await File.ReadAllTextAsync(bundle)).Replace("//# sourceMappingURL=app.min.js.map", "//# sourceMappingURL=../../maps/app.map");
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();

        var uploaded = await project.UploadOkAsync("1.0",
            ("static/js/app.min.js", System.Text.Encoding.UTF8.GetBytes(script)),
            ("maps/app.map", await File.ReadAllBytesAsync(bundle + ".map")));
        Assert.Equal("../../maps/app.map", uploaded.GetProperty("files").EnumerateArray()
            .Single(f => f.GetProperty("name").GetString() == "static/js/app.min.js").GetProperty("sourceMappingUrl").GetString());

        await project.IngestAsync(await NodeTools.ReportEventAsync(bundle, "1.0"));
        var top = (await project.OnlyIssueLatestEventAsync()).Frames()[^1];
        Assert.Equal("src/validate.js", top.GetProperty("filename").GetString());
        Assert.Equal("~/maps/app.map", top.GetProperty("data").GetProperty("sourcemap").GetString());
    }

    [Fact]
    public async Task An_event_stored_before_its_map_is_resolved_on_display()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path);
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        // Another release has a map, so the project has maps, but not this event's.
        await project.UploadOkAsync("0.9", ("app.min.js.map", await File.ReadAllBytesAsync(bundle + ".map")));

        await project.IngestAsync(await NodeTools.ReportEventAsync(bundle, "1.0"));
        var before = (await project.OnlyIssueLatestEventAsync()).Frames()[^1];
        Assert.Equal(1, before.GetProperty("lineno").GetInt32());
        Assert.Contains("release '1.0' has no map", before.GetProperty("data").GetProperty("sourcemap_error").GetString());

        await project.UploadOkAsync("1.0", ("static/js/app.min.js.map", await File.ReadAllBytesAsync(bundle + ".map")));
        var after = (await project.OnlyIssueLatestEventAsync()).Frames()[^1];
        Assert.Equal("src/validate.js", after.GetProperty("filename").GetString());
        Assert.Equal(5, after.GetProperty("lineno").GetInt32());
        Assert.False(after.GetProperty("data").TryGetProperty("sourcemap_error", out _));
    }

    [Fact]
    public async Task A_wrong_map_keeps_the_raw_frames_and_says_why()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path);
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        // A valid map of some other, one-line file: nothing maps the bundle's columns past its end... or its line 1 at all.
        var other = """{"version":3,"sources":["other.js"],"names":[],"mappings":";AAAA"}""";
        await project.UploadOkAsync("1.0", ("app.min.js.map", System.Text.Encoding.UTF8.GetBytes(other)));

        var reported = await NodeTools.ReportEventAsync(bundle, "1.0");
        await project.IngestAsync(reported);
        var e = await project.OnlyIssueLatestEventAsync();
        var top = e.Frames()[^1];
        Assert.Equal(1, top.GetProperty("lineno").GetInt32());
        Assert.StartsWith("https://cdn.example.com/static/js/app.min.js", top.GetProperty("abs_path").GetString());
        Assert.Contains("has no mapping for line 1", top.GetProperty("data").GetProperty("sourcemap_error").GetString());
        Assert.False(e.GetProperty("exception").GetProperty("values")[0].TryGetProperty("raw_stacktrace", out _));
    }

    [Fact]
    public async Task An_index_map_resolves_through_its_sections()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path);
        // Two lines of banner before the bundle, and an index map whose second section starts there.
        await File.WriteAllTextAsync(bundle, "// banner one\n// banner two\n" + await File.ReadAllTextAsync(bundle));
        var map = await File.ReadAllTextAsync(bundle + ".map");
        var index = $$$"""{"version":3,"sections":[{"offset":{"line":0,"column":0},"map":{"version":3,"sources":["banner.js"],"names":[],"mappings":"AAAA"}},{"offset":{"line":2,"column":0},"map":{{{map}}}}]}""";
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.UploadOkAsync("1.0", ("app.min.js.map", System.Text.Encoding.UTF8.GetBytes(index)));

        await project.IngestAsync(await NodeTools.ReportEventAsync(bundle, "1.0"));
        var top = (await project.OnlyIssueLatestEventAsync()).Frames()[^1];
        Assert.Equal("src/validate.js", top.GetProperty("filename").GetString());
        Assert.Equal(5, top.GetProperty("lineno").GetInt32());
        Assert.Equal("validateOrder", top.GetProperty("function").GetString());
    }

    [Fact]
    public async Task Release_names_with_slashes_dots_and_unicode_are_stored_in_one_directory_and_resolve()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path);
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        string[] releases = ["web/1.0", "../../etc", "1.0..2.0/../x", ".hidden", "café 🚀 v2", "a%2Fb"];

        foreach (var release in releases)
        {
            await project.UploadOkAsync(release, ("app.min.js.map", await File.ReadAllBytesAsync(bundle + ".map")));
            var listed = await project.GetJsonAsync(UploadClient.ReleasePath(release));
            Assert.Equal(release, listed.GetProperty("release").GetString());
        }
        var directories = StoredFiles.Paths(server, project.Slug + "/").Select(p => p.Split('/')[1]).Distinct().Order().ToArray();
        Assert.Equal(releases.Length, directories.Length);
        Assert.All(directories, d => Assert.Equal(d, Kestrel.SourceMaps.ReleaseNames.Encode(Kestrel.SourceMaps.ReleaseNames.Decode(d!)!)));
        Assert.Equal(releases.Order(), directories.Select(d => Kestrel.SourceMaps.ReleaseNames.Decode(d!)).Order());
        Assert.Empty(Directory.GetFiles(server.DataDirectory, "*.map", SearchOption.TopDirectoryOnly));

        await project.IngestAsync(await NodeTools.ReportEventAsync(bundle, "café 🚀 v2"));
        Assert.Equal("src/validate.js", (await project.OnlyIssueLatestEventAsync()).Frames()[^1].GetProperty("filename").GetString());
        var names = (await project.GetJsonAsync("/api/releases")).GetProperty("releases").EnumerateArray().Select(r => r.GetProperty("name").GetString());
        Assert.Equal(releases.Order(), names.Order());
    }

    [Fact]
    public async Task Files_are_listed_and_deleted_one_at_a_time_or_all_together()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var map = System.Text.Encoding.UTF8.GetBytes("""{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}""");
        await project.UploadOkAsync("1.0", ("a.js.map", map), ("js/b.js.map", map), ("c.js", "var c;\n//# sourceMappingURL=c.js.map\n"u8.ToArray()));
        var directory = $"{project.Slug}/1.0/";

        using (var one = await project.SendAsync(HttpMethod.Delete, UploadClient.ReleasePath("1.0") + "?file=js/b.js.map"))
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.False(StoredFiles.Exists(server, directory + "js/b.js.map"));
        var files = (await project.GetJsonAsync(UploadClient.ReleasePath("1.0"))).GetProperty("files").EnumerateArray();
        Assert.Equal(["a.js.map", "c.js"], files.Select(f => f.GetProperty("name").GetString()));

        using (var all = await project.SendAsync(HttpMethod.Delete, UploadClient.ReleasePath("1.0")))
            Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.False(StoredFiles.Exists(server, directory + "a.js.map"));
        using (var again = await project.SendAsync(HttpMethod.Delete, UploadClient.ReleasePath("1.0")))
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        using (var unknown = await project.SendAsync(HttpMethod.Get, UploadClient.ReleasePath("nope")))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task An_event_naming_a_release_creates_it()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        // The release is written by a job queued on the single writer before the event's own job, so it is
        // committed by the time the event is acknowledged.
        await project.IngestAsync("""{"release":"api@9.9.9","message":"hello"}""");
        var release = Assert.Single((await project.GetJsonAsync("/api/releases")).GetProperty("releases").EnumerateArray());
        Assert.Equal("api@9.9.9", release.GetProperty("name").GetString());
        Assert.Equal(0, release.GetProperty("files").GetInt32());
    }

    /// <summary>What <c>kestrel mcp</c> over stdio would do: its own read-only resolver over the server's data directory.</summary>
    [Fact]
    public async Task A_reading_process_resolves_for_display_with_maps_the_server_stored()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path);
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var options = new Kestrel.Platform.KestrelOptions { DataDirectory = server.DataDirectory, DatabaseUrl = Engines.DatabaseUrlFor(server.DataDirectory) };
        using var loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(_ => { });
        var reader = Kestrel.SourceMaps.SourceMapResolver.ForReading(new Kestrel.Platform.Database(options), options, loggers);
        var stored = JsonDocument.Parse(await NodeTools.ReportEventAsync(bundle, "1.0")).RootElement;

        Assert.Equal(stored, reader.ResolveForDisplay(project.Id, stored)); // no maps yet: the very same element
        await project.UploadOkAsync("1.0", ("static/js/app.min.js.map", await File.ReadAllBytesAsync(bundle + ".map")));
        var shown = reader.ResolveForDisplay(project.Id, stored);
        Assert.Equal("src/validate.js", shown.Frames()[^1].GetProperty("filename").GetString());
        Assert.Equal("validateOrder", shown.Frames()[^1].GetProperty("function").GetString());
    }
}
