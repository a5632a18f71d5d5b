using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tunnel.Messages.Queue;

namespace Tunnel.Node.Admin;

/// <summary>
/// The cluster palette (as in Petabridge.Cmd): members as this node sees them, leave and down
/// a member, and the member events as they happen (newline-delimited JSON, one event per line,
/// until the client hangs up).
/// </summary>
public static class ClusterRoutes
{
    private static readonly AdminJson Lines = new(new JsonSerializerOptions(AdminJson.Default.Options) { WriteIndented = false });

    public static void Map(IEndpointRouteBuilder routes, AdminServices services)
    {
        var cluster = Akka.Cluster.Cluster.Get(services.System);

        routes.MapGet("/v1/cluster", () => Results.Json(View(cluster), AdminJson.Default.ClusterView));

        routes.MapPost("/v1/cluster/leave", (AddressRequest request) => Command(cluster, request, "leave", cluster.Leave));
        routes.MapPost("/v1/cluster/down", (AddressRequest request) => Command(cluster, request, "down", cluster.Down));

        routes.MapGet("/v1/shards", async () =>
        {
            var (regions, unanswered) = await services.Queues.RegionsAsync();
            var nodes = regions.OrderBy(r => r.Node, StringComparer.Ordinal)
                .Select(r => new RegionView(r.Node, r.State.Shards
                    // A split domain's shard 17#2 right after 17 (issue 15).
                    .OrderBy(s => int.TryParse(QueueName.DomainOf(s.ShardId), out var n) ? n : int.MaxValue)
                    .ThenBy(s => QueueName.PartOf(s.ShardId)).ThenBy(s => s.ShardId, StringComparer.Ordinal)
                    .Select(s => new ShardView(s.ShardId, s.EntityIds.Order(StringComparer.Ordinal).ToList())).ToList()))
                .ToList();
            return Results.Json(new ShardsView(nodes, unanswered), AdminJson.Default.ShardsView);
        });

        routes.MapGet("/v1/cluster/events", async (HttpContext context) =>
        {
            var events = Channel.CreateUnbounded<ClusterEventView>();
            var subscriber = services.System.ActorOf(Props.Create(() => new ClusterEventSubscriber(events.Writer)));
            try
            {
                context.Response.ContentType = "application/x-ndjson";
                await context.Response.StartAsync(context.RequestAborted);
                await foreach (var e in events.Reader.ReadAllAsync(context.RequestAborted))
                {
                    await context.Response.WriteAsync(JsonSerializer.Serialize(e, Lines.ClusterEventView) + "\n", context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                // The operator pressed Ctrl-C: the stream ends.
            }
            finally
            {
                services.System.Stop(subscriber);
            }
        });
    }

    public static ClusterView View(Akka.Cluster.Cluster cluster)
    {
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        return new ClusterView(ClusterQueues.Format(cluster.SelfAddress), state.Leader is { } leader ? ClusterQueues.Format(leader) : null,
            state.Members.OrderBy(m => m.Address.Host).ThenBy(m => m.Address.Port)
                .Select(m => new MemberView(ClusterQueues.Format(m.Address), m.Status.ToString(), m.Roles.Order().ToList(),
                    !unreachable.Contains(m.Address), m.Address.Equals(state.Leader), m.Address.Equals(cluster.SelfAddress)))
                .ToList());
    }

    private static IResult Command(Akka.Cluster.Cluster cluster, AddressRequest request, string action, Action<Address> command)
    {
        var member = cluster.State.Members.FirstOrDefault(m => Matches(m.Address, request.Address));
        if (member is null)
            return Results.Json(new ApiError($"{request.Address} is not a member of this cluster"), AdminJson.Default.ApiError, statusCode: 404);
        command(member.Address);
        return Results.Json(new MemberCommandResult(ClusterQueues.Format(member.Address), action), AdminJson.Default.MemberCommandResult,
            statusCode: 202);
    }

    /// <summary>"host:port" or a full actor-system address.</summary>
    private static bool Matches(Address address, string text) =>
        text.Trim() == ClusterQueues.Format(address) || text.Trim() == address.ToString();

    /// <summary>Passes member and reachability events (the current state first) to one HTTP stream.</summary>
    private sealed class ClusterEventSubscriber : ReceiveActor
    {
        public ClusterEventSubscriber(ChannelWriter<ClusterEventView> events)
        {
            var cluster = Akka.Cluster.Cluster.Get(Context.System);
            Receive<ClusterEvent.IMemberEvent>(e => events.TryWrite(
                new ClusterEventView(DateTimeOffset.UtcNow, e.GetType().Name, ClusterQueues.Format(e.Member.Address), e.Member.Status.ToString())));
            Receive<ClusterEvent.UnreachableMember>(e => events.TryWrite(
                new ClusterEventView(DateTimeOffset.UtcNow, "MemberUnreachable", ClusterQueues.Format(e.Member.Address), e.Member.Status.ToString())));
            Receive<ClusterEvent.ReachableMember>(e => events.TryWrite(
                new ClusterEventView(DateTimeOffset.UtcNow, "MemberReachable", ClusterQueues.Format(e.Member.Address), e.Member.Status.ToString())));
            Receive<ClusterEvent.LeaderChanged>(e => events.TryWrite(
                new ClusterEventView(DateTimeOffset.UtcNow, "LeaderChanged", e.Leader is { } leader ? ClusterQueues.Format(leader) : "none", null)));
            Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
            cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));
        }

        protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }
}
