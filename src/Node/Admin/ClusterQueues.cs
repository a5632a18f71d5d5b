using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Tunnel.Cluster.Queue;
using Tunnel.Messages.Admin;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Node.Admin;

/// <summary>A domain queue (or sub-queue: <c>domain#i</c>) that is running, and the node it runs on.</summary>
public sealed record RunningQueue(string Queue, string Node)
{
    /// <summary>The destination domain, also of a sub-queue.</summary>
    public string Domain => QueueName.DomainOf(Queue);
}

/// <summary>
/// The operator's reach into every DomainQueue of the cluster, from any node. Which queues exist
/// comes from the shard region of each member (<see cref="GetShardRegionState"/> sent to
/// /system/sharding/domain-queue on every member): a domain that holds mail is always running
/// (remember-entities), so the running entities are the queues with mail. Each question then goes
/// to its queue through the local shard region, wherever the queue lives. Members that do not
/// answer in time are named in the result, never silently left out.
/// </summary>
public sealed class ClusterQueues(ActorSystem system, TimeSpan timeout)
{
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(system);

    private IActorRef Region => ClusterSharding.Get(system).ShardRegion(DomainQueueExtractor.TypeName);

    /// <summary>Each member's shards and the domains in them; the members that did not answer.</summary>
    public async Task<(IReadOnlyList<(string Node, CurrentShardRegionState State)> Regions, IReadOnlyList<string> Unanswered)> RegionsAsync()
    {
        var members = _cluster.State.Members
            .Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.WeaklyUp)
            .Select(m => m.Address).ToList();
        var asks = members.Select(async address =>
        {
            var path = new RootActorPath(address) / "system" / "sharding" / DomainQueueExtractor.TypeName;
            try
            {
                var state = await system.ActorSelection(path).Ask<CurrentShardRegionState>(GetShardRegionState.Instance, timeout);
                return (Node: Format(address), State: (CurrentShardRegionState?)state);
            }
            catch (Exception e) when (e is AskTimeoutException or ActorNotFoundException or TaskCanceledException)
            {
                return (Node: Format(address), State: null);
            }
        }).ToList();
        var answers = await Task.WhenAll(asks);
        return (answers.Where(a => a.State is not null).Select(a => (a.Node, a.State!)).ToList(),
            answers.Where(a => a.State is null).Select(a => a.Node).ToList());
    }

    /// <summary>The running domain queues (optionally only <paramref name="domain"/>'s, sub-queues included), by node.</summary>
    public async Task<(IReadOnlyList<RunningQueue> Queues, IReadOnlyList<string> Unanswered)> RunningAsync(string? domain = null)
    {
        var (regions, unanswered) = await RegionsAsync();
        var queues = regions
            .SelectMany(r => r.State.Shards.SelectMany(s => s.EntityIds).Select(e => new RunningQueue(e, r.Node)))
            .Where(q => domain is null || q.Domain == domain)
            .DistinctBy(q => q.Queue)
            .OrderBy(q => q.Queue, StringComparer.Ordinal)
            .ToList();
        return (queues, unanswered);
    }

    /// <summary>Asks every queue in <paramref name="queues"/>; a queue that does not answer is named in the second list.</summary>
    public async Task<(IReadOnlyList<(RunningQueue Queue, TAnswer Answer)> Answers, IReadOnlyList<string> Unanswered)> AskEachAsync<TAnswer>(
        IEnumerable<RunningQueue> queues, Func<string, object> question)
    {
        var region = Region;
        var asks = queues.Select(async queue =>
        {
            try { return (Queue: queue, Answer: (object?)await region.Ask<TAnswer>(question(queue.Queue), timeout)); }
            catch (AskTimeoutException) { return (Queue: queue, Answer: (object?)null); }
        }).ToList();
        var answers = await Task.WhenAll(asks);
        return (answers.Where(a => a.Answer is not null).Select(a => (a.Queue, (TAnswer)a.Answer!)).ToList(),
            answers.Where(a => a.Answer is null).Select(a => $"queue of {a.Queue.Queue} on {a.Queue.Node}").ToList());
    }

    public Task<(IReadOnlyList<(RunningQueue Queue, QueueInspected Answer)> Answers, IReadOnlyList<string> Unanswered)> InspectAsync(
        IEnumerable<RunningQueue> queues, MessageId? id = null) =>
        AskEachAsync<QueueInspected>(queues, queue => new InspectQueue(queue, id));

    /// <summary>"akka.tcp://tunnel@127.0.0.1:4053" → "127.0.0.1:4053": what operators type.</summary>
    public static string Format(Address address) => $"{address.Host}:{address.Port}";
}
