using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// The split counts grown with a backlog (<see cref="SplitGrowth"/>), shared by the cluster in
/// replicated data (a last-writer-wins map, domain → count, spread by gossip), so that every
/// node's outbox sends new mail over the grown count. One per node: it applies what its domain
/// queues decide (<see cref="Grow"/>) and hands every change, its own or another node's, to the
/// node's <see cref="QueueSplit"/>. Eventually consistent on purpose: a message stored by a node
/// that has not heard of a change yet goes to a sub-queue of the old count, which the stored
/// row names, so nothing is stranded either way.
/// </summary>
public sealed class SplitRegistry : ReceiveActor
{
    /// <summary>The name every node gives it: a domain queue finds it at <c>/user/split-registry</c>.</summary>
    public const string Name = "split-registry";

    /// <summary>A domain queue decided: <see cref="Domain"/> has <see cref="Parts"/> sub-queues now (its configured count: the growth ends).</summary>
    public sealed record Grow(string Domain, int Parts, int Configured, string Why);

    private static readonly LWWDictionaryKey<string, int> Key = new("tunnel-split-grown");

    public static Props Props(QueueSplit split) => Akka.Actor.Props.Create<SplitRegistry>(split);

    public SplitRegistry(QueueSplit split)
    {
        var replicator = DistributedData.Get(Context.System).Replicator;
        var node = Akka.Cluster.Cluster.Get(Context.System);
        var log = Context.GetLogger();
        replicator.Tell(Dsl.Subscribe(Key, Self));

        Receive<Grow>(grow =>
        {
            // In force here at once; the other nodes follow when the change reaches them.
            var mine = new Dictionary<string, int>(split.Grown, StringComparer.Ordinal);
            if (grow.Parts <= grow.Configured) mine.Remove(grow.Domain);
            else mine[grow.Domain] = grow.Parts;
            split.SetGrown(mine);
            replicator.Tell(Dsl.Update(Key, LWWDictionary<string, int>.Empty, WriteLocal.Instance,
                map => grow.Parts <= grow.Configured ? map.Remove(node, grow.Domain) : map.SetItem(node, grow.Domain, grow.Parts)));
        });
        Receive<Changed>(changed =>
        {
            var grown = changed.Get(Key).Entries.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
            foreach (var (domain, parts) in grown.Where(g => split.Grown.GetValueOrDefault(g.Key) != g.Value))
                log.Info("Split of {0}: {1} sub-queue(s) for new mail (grown with its backlog)", domain, parts);
            foreach (var domain in split.Grown.Keys.Except(grown.Keys))
                log.Info("Split of {0}: back to its configured sub-queues for new mail", domain);
            split.SetGrown(grown);
        });
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(failure => log.Warning("Could not share a grown split: {0}", failure));
    }
}
