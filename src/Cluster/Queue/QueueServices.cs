using Akka.Actor;
using Tunnel.Cluster.Bounces;
using Tunnel.Cluster.Observability;
using Tunnel.Cluster.Outbound;
using Tunnel.Cluster.Spool;

namespace Tunnel.Cluster.Queue;

/// <summary>What a DomainQueue and its QueuedMessage children use; one instance per node.</summary>
public sealed record QueueServices(QueueSettings Settings, SpoolStore Spool, Courier Courier, Bouncer Bouncer, MailLog MailLog)
{
    /// <summary>The domain queues' shard region, through which a sub-queue tells its siblings what it found of their destination; null: no one to tell.</summary>
    public Func<IActorRef>? Queues { get; init; }
}
