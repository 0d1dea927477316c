using System.Net;
using System.Net.Sockets;
using Kestrel.Platform;

namespace Kestrel.Ingest;

/// <summary>
/// What each client address may hold of ingest at once: a number of open requests
/// (<c>ingest.max_requests_per_client</c>) and a share of the body-buffer budget
/// (<c>ingest.max_body_mb_per_client</c>). The public key is in every browser bundle, so one client
/// holding connections open must not starve everyone else: past its share it gets 429, the others
/// keep their room. The address is the connection's (there is no trusted-proxy setting yet, so
/// behind a reverse proxy every client shares the proxy's); IPv6 clients count per /64, since one
/// host commonly has a whole /64 to itself.
/// </summary>
public sealed class IngestClients(KestrelOptions options)
{
    private readonly Dictionary<IPAddress, ClientShare> open = new();

    /// <summary>Enters one request of the client; null when the client already has its most requests open.</summary>
    public ClientLease? TryEnter(IPAddress? address)
    {
        var key = Key(address);
        lock (open)
        {
            if (!open.TryGetValue(key, out var share)) open[key] = share = new ClientShare(key, MaxBodyBytes);
            if (options.IngestMaxRequestsPerClient > 0 && share.Requests >= options.IngestMaxRequestsPerClient) return null;
            share.Requests++;
            return new ClientLease(this, share);
        }
    }

    internal void Leave(ClientShare share)
    {
        lock (open)
        {
            if (--share.Requests == 0) open.Remove(share.Address);
        }
    }

    private long MaxBodyBytes => options.IngestMaxBodyMbPerClient == 0 ? long.MaxValue : options.IngestMaxBodyMbPerClient * 1024L * 1024;

    private static IPAddress Key(IPAddress? address)
    {
        if (address is null) return IPAddress.None;
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address;
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes);
    }
}

/// <summary>One client address's open requests and the body-buffer bytes they hold.</summary>
public sealed class ClientShare(IPAddress address, long maxBytes)
{
    private long bytes;
    public IPAddress Address => address;
    public int Requests { get; set; } // under IngestClients' lock

    public bool TryHold(int size)
    {
        if (Interlocked.Add(ref bytes, size) <= maxBytes) return true;
        Interlocked.Add(ref bytes, -size);
        return false;
    }

    public void Release(int size) => Interlocked.Add(ref bytes, -size);
}

/// <summary>One request's place in its client's share; disposing it (at the end of the request) leaves.</summary>
public sealed class ClientLease(IngestClients clients, ClientShare share) : IDisposable
{
    private int left;
    public ClientShare Share => share;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref left, 1) == 0) clients.Leave(share);
    }
}
