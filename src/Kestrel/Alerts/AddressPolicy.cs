using System.Net;
using System.Net.Sockets;

namespace Kestrel.Alerts;

/// <summary>
/// Which addresses a webhook may reach (PRODUCT.md §14): a pure function of the address, so it is
/// tested without sending a packet. By default only public unicast addresses; with private targets
/// allowed, intranet ranges too, but never the unspecified, multicast or cloud-metadata addresses.
/// IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that address.
/// </summary>
public static class AddressPolicy
{
    private sealed record Range(IPAddress Network, int Bits, string What, bool AlwaysRefused = false);

    private static Range R(string cidr, string what, bool always = false)
    {
        var slash = cidr.IndexOf('/');
        return new Range(IPAddress.Parse(cidr[..slash]), int.Parse(cidr[(slash + 1)..]), what, always);
    }

    // Link-local IPv4 is refused even with private targets allowed: AWS, GCP, Azure, OpenStack and ECS
    // all serve instance credentials there (169.254.169.254, 169.254.170.2).
    private static readonly Range[] V4 =
    [
        R("0.0.0.0/8", "an unspecified address", always: true),
        R("10.0.0.0/8", "a private address"),
        R("100.64.0.0/10", "a carrier-grade NAT address"),
        R("100.100.100.200/32", "a cloud metadata address", always: true),
        R("127.0.0.0/8", "a loopback address"),
        R("169.254.0.0/16", "a link-local address (cloud metadata lives there)", always: true),
        R("172.16.0.0/12", "a private address"),
        R("192.0.0.0/24", "a reserved address"),
        R("192.0.2.0/24", "a documentation address"),
        R("192.168.0.0/16", "a private address"),
        R("198.18.0.0/15", "a benchmarking address"),
        R("198.51.100.0/24", "a documentation address"),
        R("203.0.113.0/24", "a documentation address"),
        R("224.0.0.0/4", "a multicast address", always: true),
        R("240.0.0.0/4", "a reserved or broadcast address", always: true),
    ];

    private static readonly Range[] V6 =
    [
        R("::/128", "an unspecified address", always: true),
        R("::1/128", "a loopback address"),
        R("fd00:ec2::254/128", "a cloud metadata address", always: true),
        R("fc00::/7", "a unique-local address"),
        R("fe80::/10", "a link-local address"),
        R("fec0::/10", "a site-local address"),
        R("ff00::/8", "a multicast address", always: true),
        R("2001:db8::/32", "a documentation address"),
        R("100::/64", "a discard address", always: true),
    ];

    /// <returns>null when the address may be reached; otherwise why not, as a sentence ending</returns>
    public static string? Refusal(IPAddress address, bool allowPrivate)
    {
        if (Embedded(address) is { } inner) return Refusal(inner, allowPrivate);
        var ranges = address.AddressFamily == AddressFamily.InterNetwork ? V4 : V6;
        // The most specific range wins, so a metadata /32 inside a wider private range is refused.
        var match = ranges.Where(r => r.Network.AddressFamily == address.AddressFamily && Contains(r, address)).MaxBy(r => r.Bits);
        if (match is null) return null;
        if (allowPrivate && !match.AlwaysRefused) return null;
        return $"{address} is {match.What}" + (match.AlwaysRefused || allowPrivate ? ", which webhooks may never reach." : "; set KESTREL_ALERTS_ALLOW_PRIVATE_TARGETS=true to allow intranet targets.");
    }

    /// <summary>The IPv4 address inside an IPv6 one, for the forms that carry one.</summary>
    private static IPAddress? Embedded(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return null;
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4();
        var b = address.GetAddressBytes();
        // IPv4-compatible ::a.b.c.d (deprecated, but still routed by some stacks); not :: and ::1.
        if (b.Take(12).All(x => x == 0) && (b[12] | b[13]) != 0) return new IPAddress(b[12..16]);
        // NAT64 64:ff9b::/96 and 6to4 2002:aabb:ccdd::/48.
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.Skip(4).Take(8).All(x => x == 0)) return new IPAddress(b[12..16]);
        if (b[0] == 0x20 && b[1] == 0x02) return new IPAddress(b[2..6]);
        return null;
    }

    private static bool Contains(Range range, IPAddress address)
    {
        var network = range.Network.GetAddressBytes();
        var bytes = address.GetAddressBytes();
        for (var bit = 0; bit < range.Bits; bit++)
        {
            var mask = 0x80 >> (bit % 8);
            if ((network[bit / 8] & mask) != (bytes[bit / 8] & mask)) return false;
        }
        return true;
    }
}
