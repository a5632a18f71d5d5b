using Akka.Actor;
using Tunnel.Cluster.Observability;
using Tunnel.Cluster.Spool;

namespace Tunnel.Node.Admin;

/// <summary>What the admin endpoint looks at: the actor system (cluster, sharding), the storage, the metrics, and whether the node finished starting.</summary>
public sealed record AdminServices(ActorSystem System, SpoolStore Spool, TunnelMetrics Metrics, Func<bool> Started)
{
    /// <summary>How long one question to a member or a queue may take before it is reported as unanswered.</summary>
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public ClusterQueues Queues { get; } = new(System, AskTimeout);
}
