namespace Tunnel.Cluster.Outbound;

/// <summary>
/// A node's share of the cluster-wide per-address connection limit
/// (<c>tunnel.outbound.cluster-connections-per-address</c>): the limit divided evenly over the
/// cluster's members, rounded down, at least 1, and never more than the node's own
/// <c>connections-per-address</c>. Every member counts, reachable or not, joining or leaving (a
/// node that cannot be reached may still be sending), so the shares add up to at most the limit
/// whenever the nodes agree on the membership and the limit is at least the member count; with
/// more members than the limit each node keeps one connection per address. No coordination per
/// connection: a member change moves every node's share at once. Pure.
/// </summary>
public static class ClusterShare
{
    public static int PerNode(int clusterLimit, int members, int nodeLimit) =>
        Math.Min(nodeLimit, Math.Max(1, clusterLimit / Math.Max(1, members)));
}
