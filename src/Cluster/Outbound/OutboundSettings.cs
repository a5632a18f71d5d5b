using System.Net;
using Tunnel.Cluster.Outbound.Policy;

namespace Tunnel.Cluster.Outbound;

/// <summary>Outbound identity and limits, from <c>tunnel.outbound</c> (cluster.hocon documents each key).</summary>
/// <param name="SourceIpv4">Local address for IPv4 connections (<c>source-ipv4</c>); null: the system chooses.</param>
/// <param name="SourceIpv6">Local address for IPv6 connections (<c>source-ipv6</c>).</param>
/// <param name="ConnectionCacheTime">How long an open connection waits for the next message to the same server; zero: no reuse.</param>
/// <param name="ConnectionReuseLimit">Transactions one connection carries at most.</param>
/// <param name="ConnectionsPerAddress">Connections open at once to one next-hop IP address (<c>connections-per-address</c>).</param>
/// <param name="MaxConnections">Connections open at once from this node, idle cached ones included (<c>max-connections</c>).</param>
/// <param name="MaxContentInFlight">Bytes of message bodies held in memory for sending at once (<c>max-content-in-flight</c>).</param>
/// <param name="MaxSpoolReads">Bodies being read from the spool (or waiting for content budget) at once (<c>max-spool-reads</c>).</param>
/// <param name="CapacityWait">How long an attempt waits for any of these before it is deferred with 4.4.5 (<c>capacity-wait</c>).</param>
public sealed record OutboundSettings(string Hostname, int Port, TimeSpan ConnectTimeout, TimeSpan CommandTimeout,
    IPAddress? SourceIpv4 = null, IPAddress? SourceIpv6 = null, TimeSpan? ConnectionCacheTime = null, int ConnectionReuseLimit = 100,
    int ConnectionsPerAddress = 20, int MaxConnections = 100, long MaxContentInFlight = 256L << 20, int MaxSpoolReads = 8,
    TimeSpan? CapacityWait = null)
{
    /// <summary>STARTTLS to next hops: levels per domain, MTA-STS, trusted authorities. Default: opportunistic, without MTA-STS.</summary>
    public OutboundTlsSettings Tls { get; init; } = OutboundTlsSettings.Opportunistic;

    /// <summary>
    /// Connections the whole cluster may keep open to one next-hop address
    /// (<c>cluster-connections-per-address</c>); null (off): each node has its own
    /// <see cref="ConnectionsPerAddress"/>. See <see cref="ClusterShare"/>.
    /// </summary>
    public int? ClusterConnectionsPerAddress { get; init; }

    /// <summary><see cref="CapacityWait"/> with its default (1 minute).</summary>
    public TimeSpan Wait => CapacityWait ?? TimeSpan.FromMinutes(1);

    /// <summary><see cref="Wait"/> for a deferral's reason: "1 min" reads better there than "00:01:00".</summary>
    public string WaitText => Wait >= TimeSpan.FromSeconds(1) ? $"{Wait.TotalSeconds:0.#} s" : $"{Wait.TotalMilliseconds:0} ms";
}
