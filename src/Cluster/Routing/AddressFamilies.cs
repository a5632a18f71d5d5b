using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Tunnel.Cluster.Routing;

/// <summary>The address families this node can reach next hops over (<c>tunnel.outbound.families</c>).</summary>
[Flags]
public enum AddressFamilies
{
    None = 0,
    IPv4 = 1,
    IPv6 = 2,
    Both = IPv4 | IPv6,
}

public static class AddressFamilyDetection
{
    /// <summary>
    /// The families for which this machine has a global unicast address: loopback, link-local
    /// and unique-local/private-only addresses do not reach other mail servers. Used when
    /// <c>tunnel.outbound.families = auto</c>.
    /// </summary>
    public static AddressFamilies Detect() => Detect(
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address));

    public static AddressFamilies Detect(IEnumerable<IPAddress> addresses)
    {
        var families = AddressFamilies.None;
        foreach (var address in addresses)
        {
            if (IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal) continue;
            if (address.AddressFamily == AddressFamily.InterNetwork)
            {
                var b = address.GetAddressBytes();
                if (b[0] == 169 && b[1] == 254) continue; // IPv4 link-local
                families |= AddressFamilies.IPv4; // private IPv4 usually reaches the internet through NAT
            }
            else if (address.AddressFamily == AddressFamily.InterNetworkV6 && !address.IsIPv6UniqueLocal)
            {
                families |= AddressFamilies.IPv6;
            }
        }
        return families;
    }
}
