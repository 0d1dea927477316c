using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MimeKit;

namespace Kestrel.Tests.Alerts;

/// <summary>
/// A real SMTP server on a free loopback port: Debian's aiosmtpd (installed by scripts/install-test-deps.sh)
/// with smtp_sink.py, which writes what it receives to a temp directory that the test reads.
/// </summary>
public sealed class SmtpServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly Support.TempDirectory inbox;

    private SmtpServer(Process process, Support.TempDirectory inbox, int port)
    {
        this.process = process;
        this.inbox = inbox;
        Port = port;
    }

    public int Port { get; }
    public string Url => $"smtp://127.0.0.1:{Port}?tls=none";

    public static async Task<SmtpServer> StartAsync()
    {
        var inbox = new Support.TempDirectory();
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0)) { probe.Start(); port = ((IPEndPoint)probe.LocalEndpoint).Port; }
        var info = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", "smtp_sink.Sink", inbox.Path }) info.ArgumentList.Add(arg);
        info.Environment["PYTHONPATH"] = Path.Combine(AppContext.BaseDirectory, "Alerts");
        var process = Process.Start(info)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new SmtpServer(process, inbox, port);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited) { await Task.Delay(100); }
        }
    }

    /// <summary>The messages received so far, oldest first, with their envelope recipients.</summary>
    public IReadOnlyList<(MimeMessage Message, string[] Recipients)> Messages =>
        Directory.GetFiles(inbox.Path, "*.eml").OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f)))
            .Select(f => (MimeMessage.Load(f), File.ReadAllLines(Path.ChangeExtension(f, ".rcpt")))).ToList();

    public async Task<IReadOnlyList<(MimeMessage Message, string[] Recipients)>> WaitForAsync(int count, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (Messages.Count < count)
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"The SMTP server got {Messages.Count} messages, not {count}, in {seconds} s.");
            await Task.Delay(100);
        }
        return Messages;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        inbox.Dispose();
    }
}
