using System.Net;

namespace Tunnel.Cluster.Routing;

/// <summary>How routes are looked up and what counts as ourselves, from <c>tunnel.dns</c> and <c>tunnel.own-addresses</c>.</summary>
/// <param name="DnsServers">Resolvers to ask; empty means the system's (/etc/resolv.conf).</param>
/// <param name="DnsTimeout">Per-query timeout.</param>
/// <param name="OwnAddresses">Addresses that are this tunnel on any port (the draft's shared A records).</param>
public sealed record RoutingSettings(IReadOnlyList<IPEndPoint> DnsServers, TimeSpan DnsTimeout, IReadOnlyList<IPAddress> OwnAddresses);
