using System.Net;
using System.Net.Sockets;
using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Tunnel.Cluster.Bounces;
using Tunnel.Cluster.Ingress;
using Tunnel.Cluster.Observability;
using Tunnel.Cluster.Outbound;
using Tunnel.Cluster.Queue;
using Tunnel.Cluster.Routing;
using Tunnel.Cluster.Spool;
using Tunnel.Node.Configuration;

namespace Tunnel.Node;

/// <summary>
/// One running node: storage, the actor system joined to its cluster, the DomainQueue shard
/// region, and the SMTP listener, wired in the order a message travels. Used by Program and,
/// in-process, by tests.
/// </summary>
public sealed class TunnelNode : IAsyncDisposable
{
    private readonly IActorRef _listener;

    private TunnelNode(ActorSystem system, IActorRef listener, IReadOnlyList<IPEndPoint> smtpEndpoints, SpoolStore spool)
    {
        System = system;
        _listener = listener;
        SmtpEndpoints = smtpEndpoints;
        Spool = spool;
    }

    public ActorSystem System { get; }

    /// <summary>The SMTP endpoints actually bound (port 0 in the configuration resolved).</summary>
    public IReadOnlyList<IPEndPoint> SmtpEndpoints { get; }

    public SpoolStore Spool { get; }

    public Task Terminated => System.WhenTerminated;

    public static async Task<TunnelNode> StartAsync(TunnelSettings settings, Config config, TextWriter mailLogOutput, CancellationToken cancel)
    {
        var storage = NodeStorage.For(settings.Storage);
        var spool = storage.Spool;
        await spool.InitialiseAsync(cancel);

        var sockets = SmtpListener.Bind(settings.Ingress.Listen);
        var bound = sockets.Select(s => (IPEndPoint)s.LocalEndPoint!).ToList();
        ActorSystem? system = null;
        try
        {
            system = ActorSystem.Create(AkkaConfig.SystemName, AkkaConfig.For(settings, storage, config));
            await JoinAsync(system, settings, cancel);

            var mailLog = new MailLog(mailLogOutput);
            var resolver = new RouteResolver(settings.Routing.DnsServers, settings.Routing.DnsTimeout);
            var routing = await RoutingPolicyBuilder.BuildAsync(settings.Routing, settings.Outbound.Port, bound, resolver, cancel);
            system.ActorOf(ClusterEndpoints.Props(
                OwnAddresses.Concrete(bound, OwnAddresses.LocalInterfaceAddresses().ToList()).ToList(), routing.Own), "cluster-endpoints");
            var sharding = ClusterSharding.Get(system);
            var submission = new Submission(spool, () => sharding.ShardRegion(DomainQueueExtractor.TypeName), settings.Queue.EnqueueTimeout);
            var sender = new SmtpSender(settings.Outbound);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseActorSystemTerminate, "close-smtp-connections", () =>
            {
                sender.Dispose(); // QUIT to the servers whose connections we kept
                return Task.FromResult(Done.Instance);
            });
            var queueServices = new QueueServices(settings.Queue, spool,
                new Courier(spool, resolver, routing, sender),
                new Bouncer(spool, submission, settings.Queue), mailLog);
            var queues = await sharding.StartAsync(
                DomainQueueExtractor.TypeName,
                domain => DomainQueue.Props(domain, queueServices),
                ClusterShardingSettings.Create(system),
                new DomainQueueExtractor(settings.Queue.Shards));
            await WaitForShardCoordinatorAsync(system, queues, cancel);

            var ingress = IngressWiring(settings, spool, sharding, mailLog, resolver, routing);
            var listener = system.ActorOf(SmtpListener.Props(sockets, ingress), "smtp");

            // Shutdown (Ctrl-C, SIGTERM, tunnel cluster leave): refuse new SMTP connections with
            // 421 4.3.2 and let the sessions finish their transactions, then (later phases) leave
            // the cluster, which hands this node's shards to the others.
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "drain-smtp", async () =>
            {
                try { await listener.Ask<SmtpListener.Drained>(new SmtpListener.StopAccepting(), settings.Ingress.Drain); }
                catch (AskTimeoutException) { system.Log.Warning("SMTP sessions still open after {0}; closing them", settings.Ingress.Drain); }
                return Done.Instance;
            });

            LogStartup(system, settings, bound, routing, storage);
            return new TunnelNode(system, listener, bound, spool);
        }
        catch
        {
            foreach (var socket in sockets) socket.Dispose();
            if (system is not null) await system.Terminate();
            throw;
        }
    }

    /// <summary>The SMTP front door's collaborators: relay policy, DNS verifier of tunnel domains, intake.</summary>
    private static IngressServices IngressWiring(TunnelSettings settings, SpoolStore spool, ClusterSharding sharding, MailLog mailLog,
        RouteResolver resolver, RoutingPolicy routing)
    {
        var ingress = settings.Ingress;
        // The reply to the end of data must come before the client gives up (final-timeout,
        // RFC 5321 §4.5.3.2.6), or it would retry a message we kept: a duplicate.
        var storeWithin = settings.Queue.EnqueueTimeout < ingress.Limits.FinalTimeout ? settings.Queue.EnqueueTimeout : ingress.Limits.FinalTimeout;
        var intake = new MessageIntake(new Submission(spool, () => sharding.ShardRegion(DomainQueueExtractor.TypeName), storeWithin),
            mailLog, ingress.Hostname);
        var verifier = ingress.Relay.VerifyMx
            ? new TunnelDomainVerifier(resolver, ingress.Relay.PublicAddresses.Select(TunnelDomainRule.Canonical).ToHashSet(), routing,
                ingress.Limits.CommandTimeout)
            : null;
        return new IngressServices(ingress, new RelayPolicy(ingress.Relay), intake, mailLog, verifier);
    }

    /// <summary>Stops the node the way Ctrl-C does.</summary>
    public Task StopAsync() => CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await Terminated;
    }

    private static async Task JoinAsync(ActorSystem system, TunnelSettings settings, CancellationToken cancel)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        if (settings.Cluster.Seeds.Count == 0) cluster.Join(cluster.SelfAddress);
        system.Log.Info("Joining cluster as {0} (seeds: {1})", cluster.SelfAddress,
            settings.Cluster.Seeds.Count == 0 ? "none, a cluster of its own" : string.Join(", ", settings.Cluster.Seeds.Select(s => $"{s.Host}:{s.Port}")));
        await up.Task.WaitAsync(TimeSpan.FromMinutes(2), cancel);
    }

    /// <summary>
    /// SMTP opens only once the shard coordinator answers (it recovers its state from the
    /// journal first): before that, a message's domain queue could not be placed and its
    /// client would get 451. A node that cannot reach a coordinator does not claim to be ready.
    /// </summary>
    private static async Task WaitForShardCoordinatorAsync(ActorSystem system, IActorRef queues, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                await queues.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(5)), TimeSpan.FromSeconds(10), cancel);
                return;
            }
            catch (AskTimeoutException) when (DateTime.UtcNow < deadline)
            {
                system.Log.Info("Waiting for the shard coordinator before opening SMTP");
            }
        }
    }

    private static void LogStartup(ActorSystem system, TunnelSettings settings, IReadOnlyList<IPEndPoint> bound, RoutingPolicy routing,
        NodeStorage storage)
    {
        var log = system.Log;
        log.Info("Tunnel node {0} up as {1}", settings.Ingress.Hostname, Akka.Cluster.Cluster.Get(system).SelfAddress);
        log.Info("SMTP listening on {0}", string.Join(", ", bound.Select(SmtpListener.Format)));
        log.Info("Storage: {0} (journal, snapshots and spool)", storage.Description);
        var relay = settings.Ingress.Relay;
        log.Info("Relaying for: {0}{1}{2}", relay.Domains.Count == 0 ? "no configured domain" : string.Join(", ", relay.Domains.Order()),
            relay.VerifyMx ? $"; DNS-verified tunnel domains pointing at {string.Join(", ", relay.PublicAddresses)}" : "",
            relay.Clients.Count == 0 ? "; no authorised client networks" : $"; any domain for clients in {string.Join(", ", relay.Clients)}");
        log.Info("STARTTLS: {0}", settings.Ingress.Certificate is { } certificate
            ? $"offered with {certificate.Subject} (expires {certificate.NotAfter:yyyy-MM-dd})" : "not offered (tunnel.tls not set)");
        log.Info("Own addresses (never delivered to): {0}", settings.Routing.OwnAddresses.Count == 0
            ? "none besides the listen endpoints" : string.Join(", ", settings.Routing.OwnAddresses));
        log.Info("DNS: {0}; next hops on port {1}", settings.Routing.DnsServers.Count == 0
            ? "system resolvers" : string.Join(", ", settings.Routing.DnsServers.Select(SmtpListener.Format)), settings.Outbound.Port);
        log.Info("Delivering over {0}{1}; family policy {2}; never to {3}", routing.Reachable,
            routing.Nat64 is null ? "" : $" (IPv4 through NAT64 {routing.Nat64})", routing.DefaultFamilyPolicy,
            routing.Prohibited is { Count: > 0 } p ? string.Join(", ", p) : "any prohibited range (none set)");
    }
}
