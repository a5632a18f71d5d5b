using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Tunnel.Cluster.Routing;

/// <summary>An address range like "127.0.0.0/8" or "fe80::/10". Pure.</summary>
public sealed record Cidr(IPAddress Network, int Length)
{
    public static Cidr? Parse(string text)
    {
        var slash = text.IndexOf('/');
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var network)) return null;
        // IPAddress.TryParse also takes inet_aton's shorthands ("10" is 0.0.0.10, "010.0.0.0" is
        // octal 8.0.0.0): "10/8" would silently mean 0.0.0.0/8. Only a dotted quad is IPv4 here.
        if (network.AddressFamily == AddressFamily.InterNetwork && network.ToString() != addressText) return null;
        var max = network.GetAddressBytes().Length * 8;
        var length = max;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > max))
            return null;
        // An IPv4-mapped range ("::ffff:127.0.0.0/104") is the IPv4 range it maps, as Contains
        // treats a mapped address as IPv4 (RFC 4291 §2.5.5.2); kept as IPv6 it would match nothing.
        if (network.IsIPv4MappedToIPv6 && length >= 96) return new Cidr(network.MapToIPv4(), length - 96);
        return new Cidr(network, length);
    }

    public bool Contains(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var a = address.GetAddressBytes();
        var n = Network.GetAddressBytes();
        if (a.Length != n.Length) return false;
        var full = Length / 8;
        for (var i = 0; i < full; i++) if (a[i] != n[i]) return false;
        var rest = Length % 8;
        if (rest == 0) return true;
        var mask = (byte)(0xFF << (8 - rest));
        return (a[full] & mask) == (n[full] & mask);
    }

    public override string ToString() => $"{Network}/{Length}";
}
