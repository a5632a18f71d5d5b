using System.Net;

namespace Tunnel.Cluster.Routing;

/// <summary>
/// Everything <see cref="RoutePlanner"/> needs besides the route: who we are, what we may and
/// can connect to, and in which order. Built once per node from configuration; the family policy
/// may differ per destination domain.
/// </summary>
/// <param name="Own">Addresses and endpoints that are this tunnel.</param>
/// <param name="Port">The next hop's SMTP port (<c>tunnel.outbound.port</c>).</param>
/// <param name="Reachable">Families this node can connect over (<c>tunnel.outbound.families</c>).</param>
/// <param name="Nat64">Prefix that reaches IPv4 over IPv6 (RFC 6052), used only when IPv4 is not reachable.</param>
/// <param name="Prohibited">Ranges never connected to (<c>tunnel.outbound.prohibited</c>).</param>
/// <param name="AddressLimit">Targets tried per attempt (Postfix's smtp_mx_address_limit).</param>
/// <param name="DefaultFamilyPolicy">Order of families unless the domain has its own.</param>
/// <param name="FamilyPolicyByDomain">Per destination domain overrides.</param>
/// <param name="Shuffle">Randomises hosts of equal preference (RFC 5321 §5.1); null keeps DNS order.</param>
public sealed record RoutingPolicy(
    OwnAddresses Own,
    int Port,
    AddressFamilies Reachable = AddressFamilies.Both,
    Nat64? Nat64 = null,
    IReadOnlyList<Cidr>? Prohibited = null,
    int AddressLimit = 5,
    AddressFamilyPolicy DefaultFamilyPolicy = AddressFamilyPolicy.Any,
    IReadOnlyDictionary<string, AddressFamilyPolicy>? FamilyPolicyByDomain = null,
    Random? Shuffle = null)
{
    /// <summary>Loopback, unspecified, multicast and link-local: an MX pointing there is a misconfiguration or an attack.</summary>
    public static readonly IReadOnlyList<string> DefaultProhibited =
        ["0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "255.255.255.255/32", "::/128", "::1/128", "fe80::/10", "ff00::/8"];

    public AddressFamilyPolicy FamilyPolicyFor(string domain) =>
        FamilyPolicyByDomain?.GetValueOrDefault(domain) ?? DefaultFamilyPolicy;

    public bool IsProhibited(IPAddress address) => Prohibited?.Any(range => range.Contains(address)) == true;
}
