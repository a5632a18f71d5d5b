using System.Net;
using Tunnel.Cluster.Routing;

namespace Tunnel.Node;

/// <summary>
/// Turns the routing settings into the planner's policy once at start: which families this node
/// reaches (configured, or detected from its interfaces), and the NAT64 prefix (configured, or
/// discovered through ipv4only.arpa per RFC 7050 when the node has no IPv4).
/// </summary>
public static class RoutingPolicyBuilder
{
    public static async Task<RoutingPolicy> BuildAsync(RoutingSettings settings, int port, IReadOnlyList<IPEndPoint> listen,
        RouteResolver resolver, CancellationToken cancel)
    {
        var families = settings.Families ?? AddressFamilyDetection.Detect();
        var nat64 = settings.Nat64 switch
        {
            "" => null,
            "auto" when !families.HasFlag(AddressFamilies.IPv4) && families.HasFlag(AddressFamilies.IPv6) =>
                Nat64.Discover(await resolver.Ipv6AddressesAsync(Nat64.DiscoveryName, cancel)),
            "auto" => null,
            var prefix => Nat64.Parse(prefix),
        };
        var own = new OwnAddresses(settings.OwnAddresses, listen, OwnAddresses.LocalInterfaceAddresses());
        return new RoutingPolicy(own, port, families, nat64, settings.Prohibited, settings.AddressLimit,
            settings.FamilyPolicy, settings.FamilyPolicyByDomain, Random.Shared);
    }
}
