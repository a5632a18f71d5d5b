using System.Net;

namespace Tunnel.Cluster.Routing;

/// <summary>An address range like "127.0.0.0/8" or "fe80::/10". Pure.</summary>
public sealed record Cidr(IPAddress Network, int Length)
{
    public static Cidr? Parse(string text)
    {
        var slash = text.IndexOf('/');
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var network)) return null;
        var max = network.GetAddressBytes().Length * 8;
        var length = max;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], out length) || length < 0 || length > max)) return null;
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
