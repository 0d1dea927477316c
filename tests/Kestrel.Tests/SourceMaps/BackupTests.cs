using Kestrel.Tests.Support;

namespace Kestrel.Tests.SourceMaps;

/// <summary>Maps however they arrived are .map files under sourcemaps/, so a backup restored elsewhere resolves the same frames.</summary>
public sealed class BackupTests
{
    [Fact]
    public async Task Maps_from_the_own_upload_and_from_sentry_cli_survive_backup_and_restore()
    {
        using var build = new TempDirectory();
        using var injectedBuild = new TempDirectory();
        using var archiveDirectory = new TempDirectory();
        using var restored = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path);
        var injected = await NodeTools.BuildAppAsync(injectedBuild.Path);
        var archive = Path.Combine(archiveDirectory.Path, "backup.tar.gz");
        string releaseEvent, debugIdEvent;
        long projectId;
        string token;

        await using (var server = await KestrelServer.StartAsync())
        {
            var project = await server.CreateProjectAsync();
            (projectId, token) = (project.Id, project.Token);
            await project.UploadOkAsync("web/1.0 ü", ("static/js/app.min.js.map", await File.ReadAllBytesAsync(bundle + ".map")));
            string[] connection = ["--url", server.Address.ToString(), "--auth-token", project.Token];
            var dist = Path.GetDirectoryName(injected)!;
            Assert.Equal(0, (await NodeTools.RunAsync(NodeTools.SentryCli3, injectedBuild.Path, null, [.. connection, "sourcemaps", "inject", dist])).ExitCode);
            var upload = await NodeTools.RunAsync(NodeTools.SentryCli3, injectedBuild.Path, null, [.. connection, "sourcemaps", "upload", "--org", "o", "--project", project.Slug, dist]);
            Assert.True(upload.ExitCode == 0, upload.Stderr);
            releaseEvent = await NodeTools.ReportEventAsync(bundle, "web/1.0 ü");
            debugIdEvent = await NodeTools.ReportEventAsync(injected, "");

            var backup = await KestrelProcess.RunAsync(server.DataDirectory, null, "backup", archive);
            Assert.True(backup.ExitCode == 0, backup.Stderr);
        }

        var restore = await KestrelProcess.RunAsync(restored.Path, null, "restore", archive);
        Assert.True(restore.ExitCode == 0, restore.Stderr);
        await using var again = await KestrelServer.StartAsync(dataDirectory: restored.Path);
        var same = new TestProject(projectId, "app", token, "", again);
        await same.IngestAsync(releaseEvent);
        await same.IngestAsync(debugIdEvent);
        var issue = Assert.Single(await same.IssuesAsync());
        Assert.Equal("src/validate.js in validateOrder", issue.GetProperty("culprit").GetString());
        var events = await same.GetJsonAsync($"/api/issues/{issue.GetProperty("id").GetInt64()}/events");
        Assert.Equal(["debug-id", "release"], events.GetProperty("events").EnumerateArray()
            .Select(e => e.GetProperty("event").Frames()[^1].GetProperty("data").GetProperty("resolved_with").GetString()).Order());
    }
}
