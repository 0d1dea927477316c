using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Kestrel.Tests.Support;

/// <summary>
/// A real nginx (Debian's, installed by scripts/install-test-deps.sh) in front of Kestrel nodes, running the shipped
/// deploy/nginx/kestrel.conf with loopback addresses put in for the nodes and its listener. It runs in the foreground
/// from a temp prefix (pid, logs and temp files inside it) and is stopped by PID.
/// </summary>
public sealed partial class Nginx : IAsyncDisposable
{
    private readonly Process process;
    private readonly TempDirectory prefix;

    private Nginx(Process process, TempDirectory prefix, Uri address)
    {
        this.process = process;
        this.prefix = prefix;
        Address = address;
    }

    public Uri Address { get; }

    public string ErrorLog => File.Exists(Path.Combine(prefix.Path, "error.log")) ? File.ReadAllText(Path.Combine(prefix.Path, "error.log")) : "";

    public static async Task<Nginx> StartAsync(IEnumerable<Uri> nodes)
    {
        var prefix = new TempDirectory();
        var port = FreePort();
        var site = File.ReadAllText(Path.Combine(SentryClients.RepositoryRoot, "deploy", "nginx", "kestrel.conf"));
        var servers = string.Join("\n", nodes.Select(n => $"    server {n.Host}:{n.Port} max_fails=1 fail_timeout=5s;"));
        site = UpstreamServers().Replace(site, "");
        site = site.Replace("    keepalive 32;", servers + "\n    keepalive 32;");
        site = site.Replace("    listen 80;", $"    listen 127.0.0.1:{port};");
        // No test sends a packet beyond loopback: every address left in the site must be a loopback one.
        Assert.All(Addresses().Matches(site), m => Assert.StartsWith("127.", m.Value));
        Assert.Contains($"listen 127.0.0.1:{port};", site);
        var p = prefix.Path;
        File.WriteAllText(Path.Combine(p, "nginx.conf"), $$"""
            daemon off;
            {{(Environment.UserName == "root" ? "user root;" : "")}}
            worker_processes 1;
            pid {{p}}/nginx.pid;
            error_log {{p}}/error.log warn;
            events { worker_connections 512; }
            http {
                access_log off;
                client_body_temp_path {{p}}/body;
                proxy_temp_path {{p}}/proxy;
                fastcgi_temp_path {{p}}/fastcgi;
                uwsgi_temp_path {{p}}/uwsgi;
                scgi_temp_path {{p}}/scgi;
            {{site}}
            }
            """);
        var binary = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
        var check = await Tool.RunAsync(binary, "-p", p, "-c", Path.Combine(p, "nginx.conf"), "-t");
        Assert.True(check.ExitCode == 0, $"nginx -t refused the generated config: {check.Stderr}");

        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["-p", p, "-c", Path.Combine(p, "nginx.conf")]) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var nginx = new Nginx(process, prefix, new Uri($"http://127.0.0.1:{port}"));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Accepts(port))
        {
            if (process.HasExited) Assert.Fail($"nginx exited at start: {nginx.ErrorLog}");
            if (DateTime.UtcNow > deadline) Assert.Fail($"nginx did not listen within 30 s: {nginx.ErrorLog}");
            await Task.Delay(50);
        }
        return nginx;
    }

    [GeneratedRegex(@"^    server 10\.0\.0\.\d+:8080[^\n]*\n", RegexOptions.Multiline)]
    private static partial Regex UpstreamServers();

    [GeneratedRegex(@"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")]
    private static partial Regex Addresses();

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        // The master and its worker: the worker is the master's child, so the whole tree goes.
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        prefix.Dispose();
    }
}
