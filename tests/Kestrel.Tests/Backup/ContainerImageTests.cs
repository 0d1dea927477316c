using System.Diagnostics;
using System.Text.RegularExpressions;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Backup;

/// <summary>
/// Docker cannot run on the machines these tests run on, so the image is checked in two halves: the
/// Dockerfile states the contract (binary at /kestrel, KESTREL_DATA=/data, a /data volume, port 8080, a health
/// check on /healthz), and the built binary runs in that layout: called through a /kestrel-style symbolic link
/// with the data in a "data" folder, serving, answering /healthz, and backing itself up into its own data folder.
/// </summary>
public sealed partial class ContainerImageTests
{
    [Fact]
    public void The_Dockerfile_states_the_container_contract()
    {
        var dockerfile = File.ReadAllText(Path.Combine(RepositoryRoot(), "Dockerfile"));
        Assert.Contains("ln -s /app/kestrel /kestrel", dockerfile);
        Assert.Matches(@"(?m)^ENV KESTREL_DATA=/data\b", dockerfile);
        Assert.Contains("KESTREL_LISTEN=0.0.0.0:8080", dockerfile);
        Assert.Matches(@"(?m)^VOLUME /data$", dockerfile);
        Assert.Matches(@"(?m)^EXPOSE 8080$", dockerfile);
        Assert.Matches(@"(?m)^HEALTHCHECK .*http://127\.0\.0\.1:8080/healthz", dockerfile);
        Assert.Matches(@"(?m)^ENTRYPOINT \[""/kestrel""\]$", dockerfile);
        Assert.Matches(@"(?m)^RUN dotnet publish src/Kestrel -c Release -o /app\b", dockerfile);
        // The published binary is self-contained: the final image has no .NET runtime layer.
        Assert.Matches(@"(?m)^FROM mcr\.microsoft\.com/dotnet/runtime-deps:10\.0$", dockerfile);
        Assert.DoesNotContain("dotnet/aspnet", dockerfile);
    }

    [Fact]
    [Trait("Engine", "sqlite")] // SQLite by nature: the image's /data layout, with the archive written into the data directory
    public async Task The_binary_serves_and_backs_up_in_the_image_layout()
    {
        using var root = new TempDirectory();
        var kestrel = Path.Combine(root.Path, "kestrel");
        File.CreateSymbolicLink(kestrel, Path.Combine(AppContext.BaseDirectory, "kestrel")); // the apphost, as /kestrel -> /app/kestrel
        var data = Path.Combine(root.Path, "data");
        var environment = new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = "" };

        var info = KestrelProcess.StartInfo(data, environment, "serve");
        info.FileName = kestrel;
        info.ArgumentList.RemoveAt(0); // no "kestrel.dll": the link is the program
        using var server = new Process { StartInfo = info };
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void OnLine(string? line)
        {
            if (line is null) return;
            log.Enqueue(line);
            if (Listening().Match(line) is { Success: true } m) listening.TrySetResult(new Uri(m.Groups[1].Value));
        }
        server.OutputDataReceived += (_, e) => OnLine(e.Data);
        server.ErrorDataReceived += (_, e) => OnLine(e.Data);
        server.Start();
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            var address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using var http = new HttpClient { BaseAddress = address };
            Assert.Equal("ok", await http.GetStringAsync("/healthz"));
            Assert.DoesNotContain(log, line => line.Contains("Overriding address", StringComparison.Ordinal));

            Assert.StartsWith("kestrel ", (await RunInLayoutAsync(kestrel, data, "version")).Stdout);
            var archive = Path.Combine(data, "snapshot.tar.gz"); // `docker exec kestrel /kestrel backup /data/snapshot.tar.gz`
            var backup = await RunInLayoutAsync(kestrel, data, "backup", archive);
            Assert.True(backup.ExitCode == 0, backup.Stderr);
            Assert.Equal(0, (await RunInLayoutAsync(kestrel, data, "verify", archive)).ExitCode);
            var again = await RunInLayoutAsync(kestrel, data, "backup", Path.Combine(data, "second.tar.gz"));
            Assert.Equal(0, again.ExitCode);
            Assert.Equal(["kestrel.db"], (await Tool.RunOkAsync("tar", "-tzf", Path.Combine(data, "second.tar.gz"))).Lines); // the first archive is not in the second
        }
        finally
        {
            if (!server.HasExited) server.Kill();
            await server.WaitForExitAsync();
        }
    }

    private static async Task<Tool.Result> RunInLayoutAsync(string kestrel, string data, params string[] args)
    {
        var info = KestrelProcess.StartInfo(data, null, args);
        info.FileName = kestrel;
        info.ArgumentList.RemoveAt(0);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return new Tool.Result(process.ExitCode, await stdout, await stderr);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Kestrel.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("The tests run from inside the repository.");
    }

    [GeneratedRegex(@"listening on (http://[0-9.:]+)")]
    private static partial Regex Listening();
}
