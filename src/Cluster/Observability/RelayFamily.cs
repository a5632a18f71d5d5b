using System.Net;
using System.Net.Sockets;

namespace Tunnel.Cluster.Observability;

/// <summary>
/// The address family of a delivery, read from its relay ("mx1.example.com[2001:db8::25]:25"):
/// the family of the connection that gave the answer, so mail to an IPv4 server through NAT64
/// counts as ipv6, which is what went over the wire. "none" when no server answered.
/// </summary>
public static class RelayFamily
{
    public const string None = "none";

    public static string Of(string? relay)
    {
        var open = relay?.IndexOf('[') ?? -1;
        var close = open < 0 ? -1 : relay!.IndexOf(']', open);
        if (close < 0 || !IPAddress.TryParse(relay.AsSpan(open + 1, close - open - 1), out var address)) return None;
        return Of(address);
    }

    public static string Of(IPAddress address) =>
        address.IsIPv4MappedToIPv6 || address.AddressFamily == AddressFamily.InterNetwork ? "ipv4" : "ipv6";
}
