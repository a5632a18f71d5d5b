using Akka.Cluster.Sharding;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// Routes queue commands to the DomainQueue of their destination domain. The entity id is the
/// lower-cased A-label domain (ingress normalises it), so one domain has exactly one queue in the
/// cluster however its name was spelled. Shard = stable hash of the id modulo the shard count.
/// </summary>
public sealed class DomainQueueExtractor(int shards) : HashCodeMessageExtractor(shards)
{
    public const string TypeName = "domain-queue";

    public override string? EntityId(object message) => message switch
    {
        IDomainQueueCommand command => command.Domain,
        _ => null,
    };
}
