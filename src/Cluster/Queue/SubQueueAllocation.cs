using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// Where a shard lives. Plain shards ("17") are placed by Akka's own strategy (the least loaded
/// node), exactly as before sub-queues existed, unless shards of their family are placed
/// already. A sub-queue's shard ("17#2", see <see cref="DomainQueueExtractor"/>), and a plain
/// shard whose sub-queue shards came first, goes to the node that holds the fewest shards of
/// its family ("17", "17#1", …), then the fewest shards in all: a domain split in k sub-queues on n
/// nodes has them on min(k, n) nodes. Rebalancing is Akka's; a shard it moves is placed again
/// by this rule. Only members that are up are chosen; when none is known, Akka's strategy decides.
/// </summary>
public sealed class SubQueueAllocation(IShardAllocationStrategy inner) : IActorSystemDependentAllocationStrategy
{
    private Akka.Cluster.Cluster? _cluster;

    public void Start(ActorSystem system)
    {
        _cluster = Akka.Cluster.Cluster.Get(system);
        switch (inner)
        {
            case IActorSystemDependentAllocationStrategy dependent: dependent.Start(system); break;
            case IStartableAllocationStrategy startable: startable.Start(); break;
        }
    }

    public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        var family = DomainQueueExtractor.FamilyOf(shardId);
        // A plain shard with no sub-queue shards placed yet is placed as it always was.
        if (family == shardId && !currentShardAllocations.Values.Any(shards => shards.Any(s => s != family && DomainQueueExtractor.FamilyOf(s) == family)))
            return inner.AllocateShard(requester, shardId, currentShardAllocations);
        var candidates = currentShardAllocations.Where(region => IsUp(region.Key)).ToList();
        if (candidates.Count == 0) return inner.AllocateShard(requester, shardId, currentShardAllocations);
        return Task.FromResult(Choose(family, candidates));
    }

    /// <summary>The rule, pure: fewest shards of the family, then fewest shards, then the lowest address.</summary>
    public static IActorRef Choose(string family, IReadOnlyList<KeyValuePair<IActorRef, IImmutableList<string>>> regions) =>
        regions
            .OrderBy(region => region.Value.Count(shard => DomainQueueExtractor.FamilyOf(shard) == family))
            .ThenBy(region => region.Value.Count)
            .ThenBy(region => region.Key.Path.ToString(), StringComparer.Ordinal)
            .First().Key;

    public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations,
        IImmutableSet<string> rebalanceInProgress) => inner.Rebalance(currentShardAllocations, rebalanceInProgress);

    private bool IsUp(IActorRef region)
    {
        if (_cluster is not { } cluster) return true;
        var address = region.Path.Address.HasGlobalScope ? region.Path.Address : cluster.SelfAddress;
        return cluster.State.Members.Any(m => m.Address == address && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp);
    }
}
