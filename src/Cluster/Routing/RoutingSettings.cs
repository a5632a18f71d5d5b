using System.Net;

namespace Tunnel.Cluster.Routing;

/// <summary>How routes are looked up and filtered, from <c>tunnel.dns</c>, <c>tunnel.outbound</c>, <c>tunnel.own-addresses</c> and <c>tunnel.public-addresses</c>.</summary>
/// <param name="DnsServers">Resolvers to ask; empty means the system's (/etc/resolv.conf).</param>
/// <param name="DnsTimeout">Per-query timeout.</param>
/// <param name="OwnAddresses">Addresses that are this tunnel on any port (<c>tunnel.own-addresses</c> and <c>tunnel.public-addresses</c>).</param>
/// <param name="Families">Families to deliver over; null: detect from this machine's interfaces.</param>
/// <param name="Nat64">"" (none), "auto" (RFC 7050 discovery when IPv4 is not reachable) or a prefix like "64:ff9b::/96".</param>
public sealed record RoutingSettings(
    IReadOnlyList<IPEndPoint> DnsServers,
    TimeSpan DnsTimeout,
    IReadOnlyList<IPAddress> OwnAddresses,
    AddressFamilies? Families,
    string Nat64,
    IReadOnlyList<Cidr> Prohibited,
    int AddressLimit,
    AddressFamilyPolicy FamilyPolicy,
    IReadOnlyDictionary<string, AddressFamilyPolicy> FamilyPolicyByDomain);
