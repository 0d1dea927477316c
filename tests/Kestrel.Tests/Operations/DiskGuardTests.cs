using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Kestrel.Tests.SourceMaps;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Operations;

/// <summary>
/// The disk guard on a real small file system: a 64 MB tmpfs this test mounts (the tests run as root,
/// as CI does). Filling it below KESTREL_DISK_MIN_FREE_MB makes ingest and source-map uploads answer 507
/// before anything is written; freeing the space lets them in again without a restart.
/// </summary>
// SQLite by nature: the guard watches the data directory's disk, which only SQLite fills; on PostgreSQL it is off
// (the database's disk is PostgreSQL's to guard: docs/scaling.md).
[Trait("Engine", "sqlite")]
public sealed class DiskGuardTests
{
    internal static async Task RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} failed (the disk guard test needs root to mount a tmpfs): {error}");
    }

    /// <summary>Sends events until the answer is <paramref name="expected"/>; the guard reads free space every 250 ms.</summary>
    private static async Task<HttpResponseMessage> SendUntilAsync(TestProject project, HttpStatusCode expected)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var response = await project.PostEventAsync(Events.Message("disk check"));
            if (response.StatusCode == expected || deadline.Elapsed > TimeSpan.FromSeconds(10)) return response;
            response.Dispose();
            await Task.Yield();
        }
    }

    [Fact]
    public async Task Ingest_is_refused_below_the_minimum_free_space_and_recovers_when_space_returns()
    {
        using var mountPoint = new TempDirectory();
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mountPoint.Path);
        try
        {
            var data = Directory.CreateDirectory(Path.Combine(mountPoint.Path, "data")).FullName;
            await using (var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_DISK_MIN_FREE_MB"] = "24" }, data))
            {
                var project = await server.CreateProjectAsync();
                await project.IngestAsync(Events.Message("plenty of room"));

                // Leave 16 MB free: below the 24 MB minimum.
                var filler = Path.Combine(mountPoint.Path, "filler");
                var free = new DriveInfo(mountPoint.Path).AvailableFreeSpace;
                await File.WriteAllBytesAsync(filler, new byte[free - 16 * 1024 * 1024]);

                using (var refused = await SendUntilAsync(project, HttpStatusCode.InsufficientStorage))
                {
                    Assert.Equal(HttpStatusCode.InsufficientStorage, refused.StatusCode);
                    Assert.Contains("less than 24 MB free", await refused.Content.ReadAsStringAsync());
                    Assert.Equal("60", refused.Headers.GetValues("Retry-After").Single());
                }
                // Events sent in the last quarter second before the guard looked again were taken; from the
                // first refusal on, a refused event writes nothing.
                var stored = (await project.IssuesAsync()).Sum(i => i.GetProperty("eventCount").GetInt64());
                using (var again = await project.PostEventAsync(Events.Message("still full")))
                    Assert.Equal(HttpStatusCode.InsufficientStorage, again.StatusCode);
                Assert.Equal(stored, (await project.IssuesAsync()).Sum(i => i.GetProperty("eventCount").GetInt64()));
                using (var health = await server.Http.GetAsync("/healthz/ready"))
                    Assert.Equal(HttpStatusCode.OK, health.StatusCode);
                await server.WaitForLogAsync("refusing events and source-map uploads until space is freed");

                File.Delete(filler);
                using (var accepted = await SendUntilAsync(project, HttpStatusCode.OK))
                    Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
                await server.WaitForLogAsync("accepting events");
            }
        }
        finally
        {
            await RunAsync("umount", mountPoint.Path);
        }
    }

    [Fact]
    public async Task Source_map_uploads_by_both_paths_are_refused_below_the_minimum_free_space_and_write_nothing()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path);
        var dist = Path.GetDirectoryName(bundle)!;
        var map = await File.ReadAllBytesAsync(bundle + ".map");
        using var mountPoint = new TempDirectory();
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mountPoint.Path);
        try
        {
            var data = Directory.CreateDirectory(Path.Combine(mountPoint.Path, "data")).FullName;
            await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_DISK_MIN_FREE_MB"] = "24" }, data);
            var project = await server.CreateProjectAsync();
            Task<NodeTools.ToolResult> SentryCliAsync(params string[] args) =>
                NodeTools.RunAsync(NodeTools.SentryCli3, build.Path, null, ["--url", server.Address.ToString(), "--auth-token", project.Token, .. args]);
            var inject = await SentryCliAsync("sourcemaps", "inject", dist);
            Assert.True(inject.ExitCode == 0, inject.Stderr);

            // Leave 16 MB free, below the 24 MB minimum, and wait until the guard has seen it (ingest says so).
            var filler = Path.Combine(mountPoint.Path, "filler");
            await File.WriteAllBytesAsync(filler, new byte[new DriveInfo(mountPoint.Path).AvailableFreeSpace - 16 * 1024 * 1024]);
            using (var events = await SendUntilAsync(project, HttpStatusCode.InsufficientStorage))
                Assert.Equal(HttpStatusCode.InsufficientStorage, events.StatusCode);

            // Kestrel's own upload endpoint.
            using (var own = await project.UploadAsync("shop@1.0", ("static/js/app.min.js.map", map)))
                await AssertRefusedAsync(own);
            // sentry-cli's chunk upload and assemble, called as sentry-cli calls them.
            var sha1 = Convert.ToHexStringLower(SHA1.HashData(map));
            var chunk = new MultipartFormDataContent { { new ByteArrayContent(map), "file", sha1 } };
            using (var chunks = await project.SendAsync(HttpMethod.Post, "/api/0/organizations/any-org/chunk-upload/", chunk))
                await AssertRefusedAsync(chunks);
            using (var assemble = await project.SendAsync(HttpMethod.Post, "/api/0/organizations/any-org/artifactbundle/assemble/",
                JsonContent.Create(new { checksum = sha1, chunks = new[] { sha1 }, projects = new[] { project.Slug } })))
                await AssertRefusedAsync(assemble);
            // The real sentry-cli fails and prints why.
            var cli = await SentryCliAsync("sourcemaps", "upload", "--org", "any-org", "--project", project.Slug, dist);
            Assert.NotEqual(0, cli.ExitCode);
            Assert.Contains("less than 24 MB free", cli.Stdout + cli.Stderr);

            // Nothing of any upload was written: no release, file, chunk or bundle rows, no files under sourcemaps/.
            var rows = (await Tool.RunOkAsync("sqlite3", Path.Combine(data, "kestrel.db"),
                "SELECT (SELECT COUNT(*) FROM releases) || ' ' || (SELECT COUNT(*) FROM source_files) || ' ' || (SELECT COUNT(*) FROM upload_chunks) || ' ' || (SELECT COUNT(*) FROM artifact_bundles);")).Lines;
            Assert.Equal("0 0 0 0", Assert.Single(rows));
            var maps = Path.Combine(data, "sourcemaps");
            Assert.Empty(Directory.Exists(maps) ? Directory.EnumerateFiles(maps, "*", SearchOption.AllDirectories) : []);

            // Space returns: both paths take uploads again, without a restart.
            File.Delete(filler);
            var deadline = Stopwatch.StartNew();
            HttpStatusCode status;
            do
            {
                using var again = await project.UploadAsync("shop@1.0", ("static/js/app.min.js.map", map));
                status = again.StatusCode;
            } while (status == HttpStatusCode.InsufficientStorage && deadline.Elapsed < TimeSpan.FromSeconds(10));
            Assert.Equal(HttpStatusCode.Created, status);
            var retried = await SentryCliAsync("sourcemaps", "upload", "--org", "any-org", "--project", project.Slug, dist);
            Assert.True(retried.ExitCode == 0, retried.Stdout + retried.Stderr);
            await server.WaitForLogAsync("accepting events and uploads");
        }
        finally
        {
            await RunAsync("umount", mountPoint.Path);
        }
    }

    /// <summary>An upload refused for lack of disk: 507, Retry-After, and the reason both as Kestrel's error and as sentry-cli's detail.</summary>
    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.InsufficientStorage, $"{(int)response.StatusCode} {body}");
        Assert.Equal("60", response.Headers.GetValues("Retry-After").Single());
        var json = System.Text.Json.JsonDocument.Parse(body).RootElement;
        const string reason = "The server's disk has less than 24 MB free, so it accepts no uploads until space is freed.";
        Assert.Equal(reason, json.GetProperty("error").GetString());
        Assert.Equal(reason, json.GetProperty("detail").GetString());
    }
}
