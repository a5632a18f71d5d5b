using System.Net;
using System.Net.Sockets;
using Tunnel.Cluster.Routing;

namespace Tunnel.Cluster.Ingress;

/// <summary>What DNS says about a recipient domain we were not configured for.</summary>
public enum TunnelDomainVerdict
{
    /// <summary>The draft's set-up: an MX host publishes our address and a real one beside it.</summary>
    Tunneled,
    /// <summary>550 5.7.1: not tunneled through us (or mail for it would loop).</summary>
    NotTunneled,
    /// <summary>451 4.4.3: DNS failed for now; the client retries, never bounces.</summary>
    Unknown,
}

/// <summary>
/// The DNS test of <c>tunnel.relay.verify-mx</c>, pure. A domain is tunneled through us when one
/// of its MX hosts (or the domain itself when it has no MX, RFC 5321 §5.1) has an address in
/// <c>tunnel.public-addresses</c> (the draft's A records pointing at us, §2.2) and, beside it, an
/// address that is not ours and can be reached, and when the router would find somewhere to
/// deliver (<see cref="RoutePlanner"/>: no loop back to us). Nothing else grants relaying, so a
/// stranger cannot make us an open relay by pointing an MX at us: without a real server beside
/// our address, their mail has nowhere to go and is refused at RCPT.
/// Both verdicts rest on final answers only: an MX host whose A or AAAA lookup failed for now
/// counts for neither, and when the missing answer could still change "no" into "yes" the
/// verdict is Unknown (451 4.4.3). The draft's mx1 whose AAAA timed out shows only our address,
/// which must not read as "only us" (issue 13).
/// </summary>
public static class TunnelDomainRule
{
    public static TunnelDomainVerdict Judge(RouteLookup lookup, IReadOnlySet<IPAddress> publicAddresses, RoutingPolicy policy)
    {
        var (own, port) = (policy.Own, policy.Port);
        if (lookup is RouteFailure failure) return failure.Permanent ? TunnelDomainVerdict.NotTunneled : TunnelDomainVerdict.Unknown;
        var route = (Route)lookup;
        var tunneledHost = route.Hosts.Any(host => host.Resolved
            && host.Addresses.Any(a => publicAddresses.Contains(Canonical(a)))
            && host.Addresses.Any(a => !publicAddresses.Contains(Canonical(a)) && !own.IsOurs(new IPEndPoint(a, port)) && Reachable(a)));
        // Only when this node could deliver it (families, NAT64, prohibited ranges, the loop rule).
        var plan = RoutePlanner.Plan(route, policy with { Shuffle = null });
        if (plan is NoTargets { Permanent: true }) return TunnelDomainVerdict.NotTunneled; // decided on final answers
        if (tunneledHost && plan is Targets) return TunnelDomainVerdict.Tunneled;
        return route.Complete ? TunnelDomainVerdict.NotTunneled : TunnelDomainVerdict.Unknown;
    }

    /// <summary>
    /// An address a connection could go to: not unspecified, multicast or broadcast. Which
    /// families this node reaches is the planner's question, asked above.
    /// </summary>
    public static bool Reachable(IPAddress address)
    {
        address = Canonical(address);
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast)) return false;
        if (address.AddressFamily == AddressFamily.InterNetworkV6) return !address.IsIPv6Multicast;
        var first = address.GetAddressBytes()[0];
        return first != 0 && first is < 224 or > 239;
    }

    public static IPAddress Canonical(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4()
        : address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes())
        : address;
}
