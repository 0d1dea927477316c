using System.Diagnostics;
using System.Net;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Operations;

/// <summary>
/// The disk guard on a real small file system: a 64 MB tmpfs this test mounts (the tests run as root,
/// as CI does). Filling it below KESTREL_DISK_MIN_FREE_MB makes ingest answer 507 before anything is
/// written; freeing the space lets events in again without a restart.
/// </summary>
public sealed class DiskGuardTests
{
    private static async Task RunAsync(string program, params string[] args)
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
                Assert.Contains("refusing events until space is freed", server.Log);

                File.Delete(filler);
                using (var accepted = await SendUntilAsync(project, HttpStatusCode.OK))
                    Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
                Assert.Contains("accepting events", server.Log);
            }
        }
        finally
        {
            await RunAsync("umount", mountPoint.Path);
        }
    }
}
