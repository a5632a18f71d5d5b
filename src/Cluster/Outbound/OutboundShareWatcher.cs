using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace Tunnel.Cluster.Outbound;

/// <summary>
/// Keeps this node's per-address connection limit at its share of the cluster-wide one
/// (<c>tunnel.outbound.cluster-connections-per-address</c>, <see cref="ClusterShare"/>): on
/// every membership change it counts the members (all but those removed: a node that is
/// unreachable, joining or leaving may still be sending) and tells the sender, logging each new
/// share (reachability changes nothing: an unreachable member still counts). Started only when
/// the setting is on.
/// </summary>
public sealed class OutboundShareWatcher : ReceiveActor
{
    public static Props Props(SmtpSender sender) => Akka.Actor.Props.Create<OutboundShareWatcher>(sender);

    private readonly SmtpSender _sender;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _members = -1;

    public OutboundShareWatcher(SmtpSender sender)
    {
        _sender = sender;
        Receive<ClusterEvent.IMemberEvent>(_ => Recount());
        Receive<ClusterEvent.CurrentClusterState>(_ => Recount());
    }

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    private void Recount()
    {
        var members = Akka.Cluster.Cluster.Get(Context.System).State.Members.Count(m => m.Status != MemberStatus.Removed);
        if (members == _members) return;
        _members = members;
        var share = _sender.ShareAddresses(members);
        _log.Info("Outbound: {0} connection(s) per next-hop address on this node, its share of tunnel.outbound.cluster-connections-per-address = {1} over {2} member(s)",
            share, _sender.Settings.ClusterConnectionsPerAddress, members);
    }
}
