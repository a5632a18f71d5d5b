using System.Net;
using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;

namespace Tunnel.Cluster.Routing;

/// <summary>
/// Shares every node's SMTP listen endpoints across the cluster (Akka.DistributedData, a
/// grow-only set), so that no node delivers to another node of the same tunnel: in the draft's
/// setup an MX host's A record may be any tunnel node. Endpoints are never removed: a node that
/// left is still a tunnel address if it comes back, and delivering to it would loop too.
/// </summary>
public sealed class ClusterEndpoints : ReceiveActor
{
    private static readonly GSetKey<string> Key = new("tunnel-smtp-endpoints");

    public static Props Props(IReadOnlyList<IPEndPoint> mine, OwnAddresses own) =>
        Akka.Actor.Props.Create<ClusterEndpoints>(mine, own);

    public ClusterEndpoints(IReadOnlyList<IPEndPoint> mine, OwnAddresses own)
    {
        var replicator = DistributedData.Get(Context.System).Replicator;
        var log = Context.GetLogger();
        replicator.Tell(Dsl.Subscribe(Key, Self));
        replicator.Tell(Dsl.Update(Key, GSet<string>.Empty, WriteLocal.Instance,
            set => mine.Aggregate(set, (s, e) => s.Add(e.ToString()))));

        Receive<Changed>(changed =>
        {
            var endpoints = changed.Get(Key).Elements.Select(text => IPEndPoint.TryParse(text, out var e) ? e : null)
                .OfType<IPEndPoint>().ToList();
            own.UpdateClusterEndpoints(endpoints);
            log.Info("Tunnel SMTP endpoints in the cluster (never delivered to): {0}", string.Join(", ", endpoints));
        });
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(failure => log.Warning("Could not publish our SMTP endpoints: {0}", failure));
    }
}
