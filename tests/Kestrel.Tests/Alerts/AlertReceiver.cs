using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kestrel.Tests.Alerts;

/// <summary>One request the receiver got, as it arrived.</summary>
public sealed record Received(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, DateTimeOffset At, int AnsweredWith)
{
    public string Text => Encoding.UTF8.GetString(Body);
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    public string Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : "";
    public string DeliveryId => Header("X-Kestrel-Delivery");
}

/// <summary>
/// A real HTTP server on a free loopback port that stands in for Slack, Discord, Teams, Google Chat or
/// any webhook target: it records every request and answers what the test scripted for its path
/// (200 unless told otherwise). Tests wait on it with <see cref="WaitForAsync"/>, a poll with a deadline.
/// </summary>
public sealed class AlertReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<Received> received = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Status, string? RetryAfter)>> scripts = new();
    private readonly SemaphoreSlim arrived = new(0);

    private AlertReceiver(WebApplication app) => this.app = app;

    public Uri Address { get; private set; } = null!;

    public static async Task<AlertReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var receiver = new AlertReceiver(builder.Build());
        receiver.app.Run(receiver.HandleAsync);
        await receiver.app.StartAsync();
        var address = receiver.app.Services.GetService(typeof(IServer)) is IServer server
            ? server.Features.Get<IServerAddressesFeature>()!.Addresses.First() : throw new InvalidOperationException("no server");
        receiver.Address = new Uri(address);
        return receiver;
    }

    public string Url(string path) => new Uri(Address, path).ToString();

    /// <summary>The next requests to <paramref name="path"/> get these answers, in order; then 200 again.</summary>
    public void Script(string path, params (int Status, string? RetryAfter)[] answers)
    {
        var queue = scripts.GetOrAdd(path, _ => new());
        foreach (var answer in answers) queue.Enqueue(answer);
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var path = context.Request.Path.Value ?? "/";
        var (status, retryAfter) = scripts.TryGetValue(path, out var queue) && queue.TryDequeue(out var answer) ? answer : (200, null);
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        received.Enqueue(new Received(path, headers, body.ToArray(), DateTimeOffset.UtcNow, status));
        arrived.Release();
        context.Response.StatusCode = status;
        if (retryAfter is not null) context.Response.Headers.RetryAfter = retryAfter;
        await context.Response.WriteAsync(status == 200 ? "ok" : "no");
    }

    public IReadOnlyList<Received> All => received.ToList();

    public IReadOnlyList<Received> At(string path) => received.Where(r => r.Path == path).ToList();

    /// <summary>Waits until the requests satisfy <paramref name="condition"/>; fails after <paramref name="seconds"/>.</summary>
    public async Task<IReadOnlyList<Received>> WaitForAsync(Func<IReadOnlyList<Received>, bool> condition, int seconds = 30, string what = "requests")
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var all = All;
            if (condition(all)) return all;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new Xunit.Sdk.XunitException($"The receiver did not get the expected {what} within {seconds} s; it got {all.Count}: "
                    + string.Join("; ", all.Select(r => $"{r.Path} {r.Text[..Math.Min(200, r.Text.Length)]}")));
            await arrived.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
        }
    }

    public Task<IReadOnlyList<Received>> WaitForAsync(string path, int count, int seconds = 30) =>
        WaitForAsync(all => all.Count(r => r.Path == path) >= count, seconds, $"{count} requests to {path}");

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
