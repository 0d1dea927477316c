using System.Net;
using System.Net.Sockets;

namespace Kestrel.Alerts;

/// <summary>An address a webhook may not reach; the message says which and why.</summary>
public sealed class TargetRefusedException(string message) : Exception(message);

/// <summary>
/// The HTTP client of webhooks. It resolves the host itself, checks every address with
/// <see cref="AddressPolicy"/>, and connects to the very address it checked (ConnectCallback), so a
/// DNS answer that changes between check and connect (rebinding) cannot get around the check. No
/// proxy (it would connect on our behalf, unchecked), no redirects (a 30x could point anywhere), 10 s per attempt.
/// </summary>
public static class GuardedHttp
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static HttpClient Create(bool allowPrivate)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, allowPrivate, cancellationToken),
        };
        return new HttpClient(handler) { Timeout = Timeout };
    }

    /// <summary>The addresses of <paramref name="host"/> that may be reached; throws when there is none.</summary>
    public static async Task<IPAddress[]> ResolveAsync(string host, bool allowPrivate, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal)) addresses = [literal];
        else
        {
            try { addresses = await Dns.GetHostAddressesAsync(host, cancellationToken); }
            catch (SocketException e) { throw new HttpRequestException($"The host {host} cannot be resolved: {e.Message}", e); }
        }
        var refusals = addresses.Select(a => (Address: a, Why: AddressPolicy.Refusal(a, allowPrivate))).ToList();
        // One refused address refuses the host: a name that mixes public and private answers is a rebinding trick.
        if (refusals.FirstOrDefault(r => r.Why is not null) is { Why: { } why })
            throw new TargetRefusedException(literal is null ? $"Refused: {host} resolves to {why}" : $"Refused: {why}");
        if (addresses.Length == 0) throw new HttpRequestException($"The host {host} has no address.");
        return addresses;
    }

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, bool allowPrivate, CancellationToken cancellationToken)
    {
        var addresses = await ResolveAsync(endpoint.Host, allowPrivate, cancellationToken);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
