using Akka.Cluster.Sharding;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// Routes queue commands to their DomainQueue. The entity id is the lower-cased A-label domain
/// (ingress normalises it), so one domain has exactly one queue in the cluster however its name
/// was spelled; a split domain's sub-queue i &gt; 0 is <c>domain#i</c> (<see cref="QueueName"/>).
/// Shard of a domain = stable hash of the domain modulo the shard count, as it always was, so
/// the plain queues and sub-queue 0 keep their shards and remembered entities. Sub-queue i &gt; 0
/// is in shard <c>base#i</c>, base being its domain's shard: sub-queues of one domain are never
/// in one shard, and <see cref="SubQueueAllocation"/> places a shard <c>base#i</c> away from its
/// siblings, so they can deliver from different nodes.
/// </summary>
public sealed class DomainQueueExtractor(int shards) : HashCodeMessageExtractor(shards)
{
    public const string TypeName = "domain-queue";

    public override string? EntityId(object message) => message switch
    {
        IDomainQueueCommand command => command.Queue,
        _ => null,
    };

    public override string ShardId(string entityId, object? messageHint = null)
    {
        var part = QueueName.PartOf(entityId);
        var shard = base.ShardId(QueueName.DomainOf(entityId), messageHint);
        return part == 0 ? shard : $"{shard}{QueueName.Separator}{part}";
    }

    /// <summary>The shard a sub-queue's shard belongs with: "17#2" → "17".</summary>
    public static string FamilyOf(string shardId) => QueueName.DomainOf(shardId);
}
