using System.Net;
using System.Net.Sockets;

namespace Tunnel.Cluster.Routing;

/// <summary>
/// What "ourselves" means for the loop rule (DESIGN, the MX role): the draft's A records of an
/// IPv6-only MX host point at the tunnel, so a route can contain our own addresses, and
/// delivering there would loop. An address in <c>tunnel.own-addresses</c> is ours on every port;
/// a listen endpoint is ours on its port only, so that a test MX on another port of a loopback
/// address stays reachable. A wildcard listen endpoint covers every local address of its family
/// (all of 127.0.0.0/8 for IPv4, since Linux accepts any of them on 0.0.0.0). In a cluster the
/// listen endpoints of every node count, shared through <see cref="ClusterEndpoints"/>.
/// </summary>
public sealed class OwnAddresses
{
    private readonly HashSet<IPAddress> _anyPort;
    private readonly HashSet<IPEndPoint> _endpoints;
    private readonly HashSet<int> _wildcardV4Ports;
    private readonly HashSet<int> _wildcardV6Ports;
    private readonly HashSet<IPAddress> _local;

    public OwnAddresses(IEnumerable<IPAddress> anyPort, IEnumerable<IPEndPoint> listen, IEnumerable<IPAddress> localInterfaces)
    {
        _anyPort = anyPort.Select(Canonical).ToHashSet();
        var endpoints = listen.ToList();
        _wildcardV4Ports = endpoints.Where(e => e.Address.Equals(IPAddress.Any)).Select(e => e.Port).ToHashSet();
        _wildcardV6Ports = endpoints.Where(e => e.Address.Equals(IPAddress.IPv6Any)).Select(e => e.Port).ToHashSet();
        _endpoints = endpoints.Where(e => !IsWildcard(e.Address)).Select(e => new IPEndPoint(Canonical(e.Address), e.Port)).ToHashSet();
        _local = localInterfaces.Select(Canonical).ToHashSet();
    }

    // Listen endpoints of the other nodes of the cluster, replaced as a whole when they change
    // (ClusterEndpoints); read without a lock by deliveries.
    private volatile HashSet<IPEndPoint> _clusterEndpoints = [];

    /// <summary>True when connecting to <paramref name="target"/> would reach this tunnel (this node or another node of its cluster).</summary>
    public bool IsOurs(IPEndPoint target)
    {
        var address = Canonical(target.Address);
        if (_anyPort.Contains(address)) return true;
        if (_endpoints.Contains(new IPEndPoint(address, target.Port))) return true;
        if (_clusterEndpoints.Contains(new IPEndPoint(address, target.Port))) return true;
        var wildcardPorts = address.AddressFamily == AddressFamily.InterNetwork ? _wildcardV4Ports : _wildcardV6Ports;
        // A connect to the unspecified address (an MX whose A is 0.0.0.0, AAAA ::) reaches this
        // host on Linux, so it is ours as much as loopback is.
        return wildcardPorts.Contains(target.Port)
               && (_local.Contains(address) || IPAddress.IsLoopback(address) || IsWildcard(address));
    }

    /// <summary>Every node's SMTP endpoints, as the cluster knows them now.</summary>
    public void UpdateClusterEndpoints(IEnumerable<IPEndPoint> endpoints) =>
        _clusterEndpoints = endpoints.Select(e => new IPEndPoint(Canonical(e.Address), e.Port)).ToHashSet();

    /// <summary>
    /// This node's listen endpoints as other nodes must see them: a wildcard endpoint stands for
    /// every address of this machine of its family.
    /// </summary>
    public static IEnumerable<IPEndPoint> Concrete(IEnumerable<IPEndPoint> listen, IReadOnlyCollection<IPAddress> localInterfaces) =>
        listen.SelectMany(e => IsWildcard(e.Address)
            ? localInterfaces.Where(a => a.AddressFamily == e.AddressFamily).Select(a => new IPEndPoint(Canonical(a), e.Port))
            : [new IPEndPoint(Canonical(e.Address), e.Port)]);

    /// <summary>Addresses of this machine's interfaces, for wildcard listen endpoints.</summary>
    public static IEnumerable<IPAddress> LocalInterfaceAddresses() =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address);

    private static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private static IPAddress Canonical(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0) return new IPAddress(address.GetAddressBytes());
        return address;
    }
}
