using System.Collections.Concurrent;
using System.Net;

namespace Kestrel.Web;

/// <summary>
/// Refuses sign-in from a client address after <see cref="MaxFailures"/> wrong passwords within a
/// minute, until that minute has passed, even with the right password. The address is the TCP peer, or the client a
/// trusted proxy names (<see cref="TrustedProxies"/>): behind a proxy that is not trusted all clients share the proxy's
/// budget, which errs on the safe side.
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
{
    public const int MaxFailures = 5;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private const int MaxTrackedClients = 10_000;

    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset WindowStart)> clients = new();

    /// <returns>how long the client must wait before trying again, or null when it may try now</returns>
    public TimeSpan? WaitFor(IPAddress? client)
    {
        if (!clients.TryGetValue(Key(client), out var entry)) return null;
        var remaining = entry.WindowStart + Window - time.GetUtcNow();
        return entry.Failures >= MaxFailures && remaining > TimeSpan.Zero ? remaining : null;
    }

    public void Failed(IPAddress? client)
    {
        var now = time.GetUtcNow();
        if (clients.Count >= MaxTrackedClients) Prune(now);
        clients.AddOrUpdate(Key(client), (1, now),
            (_, entry) => now - entry.WindowStart >= Window ? (1, now) : (entry.Failures + 1, entry.WindowStart));
    }

    public void Succeeded(IPAddress? client) => clients.TryRemove(Key(client), out _);

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, entry) in clients)
            if (now - entry.WindowStart >= Window) clients.TryRemove(key, out _);
    }

    private static string Key(IPAddress? client) => client?.ToString() ?? "unknown";
}
