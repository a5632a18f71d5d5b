using System.Net;
using System.Net.Sockets;

namespace Tunnel.Cluster.Routing;

/// <summary>
/// IPv4-embedded IPv6 addresses (RFC 6052 §2.2): how a node without IPv4 reaches an IPv4-only
/// server through a NAT64 gateway, and how the gateway's prefix is found (RFC 7050: the AAAA
/// records of ipv4only.arpa embed the well-known addresses 192.0.0.170 and 192.0.0.171). Pure.
/// </summary>
public sealed record Nat64(IPAddress Prefix, int Length)
{
    public const string DiscoveryName = "ipv4only.arpa";
    private static readonly int[] Lengths = [32, 40, 48, 56, 64, 96];
    private static readonly byte[][] WellKnown = [[192, 0, 0, 170], [192, 0, 0, 171]];

    /// <summary>"64:ff9b::/96" and the other RFC 6052 lengths; null when the text is not one.</summary>
    public static Nat64? Parse(string text)
    {
        var slash = text.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(text[..slash], out var prefix) || prefix.AddressFamily != AddressFamily.InterNetworkV6
            || !int.TryParse(text[(slash + 1)..], out var length) || !Lengths.Contains(length))
            return null;
        var bytes = prefix.GetAddressBytes();
        // RFC 6052 §2.2: bits 64 to 71 ("u") must be zero, also in a /96 prefix.
        return bytes[8] == 0 ? new Nat64(Mask(bytes, length), length) : null;
    }

    /// <summary>The IPv6 address that reaches <paramref name="v4"/> through the gateway.</summary>
    public IPAddress Synthesize(IPAddress v4)
    {
        var bytes = Prefix.GetAddressBytes();
        var embedded = v4.GetAddressBytes();
        // RFC 6052 §2.2: the IPv4 octets follow the prefix, skipping bits 64..71 (octet 8, "u"),
        // which stay zero; the suffix after them is zero too.
        var position = Length / 8;
        foreach (var octet in embedded)
        {
            if (position == 8) position++;
            bytes[position++] = octet;
        }
        return new IPAddress(bytes);
    }

    /// <summary>RFC 7050 §3: the prefix from ipv4only.arpa's AAAA answers, or null when none embeds a well-known address.</summary>
    public static Nat64? Discover(IEnumerable<IPAddress> ipv4OnlyArpaAnswers)
    {
        foreach (var answer in ipv4OnlyArpaAnswers.Where(a => a.AddressFamily == AddressFamily.InterNetworkV6))
        {
            var bytes = answer.GetAddressBytes();
            // Try the longest prefix first: with /96 the address ends in the well-known octets.
            foreach (var length in Lengths.Reverse())
            {
                if (length == 96 && bytes[8] != 0) continue; // RFC 6052 §2.2: the u octet is zero
                if (answer.IsIPv4MappedToIPv6) continue;     // ::ffff:0:0/96 is not a NAT64 prefix
                var candidate = new Nat64(Mask(bytes, length), length);
                if (WellKnown.Any(wka => candidate.Synthesize(new IPAddress(wka)).Equals(answer))) return candidate;
            }
        }
        return null;
    }

    public override string ToString() => $"{Prefix}/{Length}";

    private static IPAddress Mask(byte[] address, int length)
    {
        var bytes = new byte[16];
        Array.Copy(address, bytes, length / 8);
        return new IPAddress(bytes);
    }
}
