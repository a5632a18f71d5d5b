using System.Net;
using System.Net.Sockets;
using Akka;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Tunnel.Cluster.Bounces;
using Tunnel.Cluster.Ingress;
using Tunnel.Cluster.Ingress.Tls;
using Tunnel.Cluster.Observability;
using Tunnel.Cluster.Outbound;
using Tunnel.Cluster.Outbound.Policy;
using Tunnel.Cluster.Queue;
using Tunnel.Cluster.Routing;
using Tunnel.Cluster.Spool;
using Tunnel.Node.Admin;
using Tunnel.Node.Configuration;
using Tunnel.Node.Logging;
using Microsoft.Extensions.Logging;
using Akka.Actor.Setup;

namespace Tunnel.Node;

/// <summary>
/// One running node: storage, the actor system joined to its cluster, the DomainQueue shard
/// region, and the SMTP listener, wired in the order a message travels. Used by Program and,
/// in-process, by tests.
/// </summary>
public sealed class TunnelNode : IAsyncDisposable
{
    private readonly IActorRef _listener;
    private readonly IActorRef? _certificateWatcher;

    private TunnelNode(ActorSystem system, IActorRef listener, IReadOnlyList<IPEndPoint> smtpEndpoints, SpoolStore spool,
        AdminEndpoint? admin, TunnelMetrics metrics, IActorRef? certificateWatcher)
    {
        _certificateWatcher = certificateWatcher;
        System = system;
        _listener = listener;
        SmtpEndpoints = smtpEndpoints;
        Spool = spool;
        Admin = admin;
        Metrics = metrics;
    }

    public ActorSystem System { get; }

    /// <summary>The SMTP endpoints actually bound (port 0 in the configuration resolved).</summary>
    public IReadOnlyList<IPEndPoint> SmtpEndpoints { get; }

    public SpoolStore Spool { get; }

    /// <summary>The admin endpoint (CLI, /metrics, health); null when <c>tunnel.admin.listen = off</c>.</summary>
    public AdminEndpoint? Admin { get; }

    public TunnelMetrics Metrics { get; }

    public Task Terminated => System.WhenTerminated;

    /// <param name="output">Where the log goes, one line per entry (text or JSON, <c>tunnel.log.format</c>): the mail log, the node's and Akka's.</param>
    public static async Task<TunnelNode> StartAsync(TunnelSettings settings, Config config, TextWriter output, CancellationToken cancel)
    {
        var logs = new LineLoggerProvider(output, settings.Log.Json, MinimumLevel(config));
        var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        var log = loggerFactory.CreateLogger<TunnelNode>();
        var metrics = new TunnelMetrics { Destinations = settings.Admin.MetricsDestinations };
        metrics.WatchDestinations(settings.Queue.Split.Domains.Keys);
        var storage = NodeStorage.For(settings.Storage);
        var spool = storage.Spool;
        await spool.InitialiseAsync(cancel);

        var sockets = SmtpListener.Bind(settings.Ingress.Listen);
        var bound = sockets.Select(s => (IPEndPoint)s.LocalEndPoint!).ToList();
        ActorSystem? system = null;
        AdminEndpoint? admin = null;
        try
        {
            system = ActorSystem.Create(AkkaConfig.SystemName, ActorSystemSetup.Create(
                BootstrapSetup.Create().WithConfig(AkkaConfig.For(settings, storage, config)), new LoggerFactorySetup(loggerFactory)));
            var started = false;
            if (settings.Admin.Listen is not null)
            {
                // Before joining: /health/ready answers "not yet" while the node waits for its seeds.
                admin = await AdminEndpoint.StartAsync(settings.Admin, new AdminServices(system, spool, metrics, () => started), logs, cancel);
                log.LogInformation("Admin endpoint listening on http://{Endpoint}{Token}", SmtpListener.Format(admin.EndPoint),
                    settings.Admin.RequiresToken ? " (bearer token required)" : "");
            }
            await JoinAsync(system, settings, log, cancel);

            var mailLog = new MailLog(loggerFactory.CreateLogger(MailLog.Category), metrics);
            var resolver = new RouteResolver(settings.Routing.DnsServers, settings.Routing.DnsTimeout, metrics);
            var routing = await RoutingPolicyBuilder.BuildAsync(settings.Routing, settings.Outbound.Port, bound, resolver, cancel);
            system.ActorOf(ClusterEndpoints.Props(
                OwnAddresses.Concrete(bound, OwnAddresses.LocalInterfaceAddresses().ToList()).ToList(), routing.Own), "cluster-endpoints");
            var sharding = ClusterSharding.Get(system);
            Func<IActorRef> queueRegion = () => sharding.ShardRegion(DomainQueueExtractor.TypeName);
            var outbox = Outbox(settings, spool, queueRegion);
            var sender = new SmtpSender(settings.Outbound);
            if (settings.Outbound.ClusterConnectionsPerAddress is not null)
                system.ActorOf(OutboundShareWatcher.Props(sender), "outbound-share");
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseActorSystemTerminate, "close-smtp-connections", () =>
            {
                sender.Dispose(); // QUIT to the servers whose connections we kept
                return Task.FromResult(Done.Instance);
            });
            var tlsPolicy = settings.Outbound.Tls;
            var courier = new Courier(spool, resolver, routing, sender,
                new DestinationTls(tlsPolicy, new MtaStsPolicies(resolver, tlsPolicy, spool), resolver),
                (domain, mode, problem) => mailLog.MtaStsFailure(domain, mode.ToString().ToLowerInvariant(), problem));
            system.ActorOf(SplitRegistry.Props(settings.Queue.Split), SplitRegistry.Name);
            var queueServices = new QueueServices(settings.Queue, spool, courier, new Bouncer(spool, outbox, settings.Queue), mailLog)
            {
                Queues = queueRegion,
            };
            var queues = await sharding.StartAsync(
                DomainQueueExtractor.TypeName,
                domain => DomainQueue.Props(domain, queueServices),
                ClusterShardingSettings.Create(system),
                new DomainQueueExtractor(settings.Queue.Shards),
                new SubQueueAllocation(sharding.DefaultShardAllocationStrategy(ClusterShardingSettings.Create(system))),
                PoisonPill.Instance);
            await WaitForShardCoordinatorAsync(log, queues, cancel);
            system.ActorOf(OutboxSweeper.Props(spool, queueRegion, mailLog, settings.Queue.SweepInterval, settings.Queue.OrphanAge),
                "outbox-sweeper");

            var ingress = IngressWiring(settings, outbox, mailLog, resolver, routing, courier);
            var listener = system.ActorOf(SmtpListener.Props(sockets, ingress), "smtp");
            IActorRef? certificateWatcher = null;
            if (ingress.Certificates is { } certificates)
            {
                metrics.WatchCertificates(() =>
                {
                    var current = certificates.Current;
                    return current.All.Select(c => (ReferenceEquals(c, current.Default) ? ServerCertificates.DefaultLabel : c.Name, c.NotAfterUtc));
                });
                certificateWatcher = system.ActorOf(CertificateWatcher.Props(certificates, metrics, settings.Ingress.CertificateReloadInterval),
                    "certificate-watcher");
            }

            // Shutdown (Ctrl-C, SIGTERM, tunnel cluster leave): refuse new SMTP connections with
            // 421 4.3.2 and let the sessions finish their transactions, then (later phases) leave
            // the cluster, which hands this node's shards to the others. The admin endpoint
            // answers (not ready) until the very end.
            var shutdown = CoordinatedShutdown.Get(system);
            shutdown.AddTask(CoordinatedShutdown.PhaseServiceUnbind, "drain-smtp", async () =>
            {
                try { await listener.Ask<SmtpListener.Drained>(new SmtpListener.StopAccepting(), settings.Ingress.Drain); }
                catch (AskTimeoutException) { log.LogWarning("SMTP sessions still open after {Drain}; closing them", settings.Ingress.Drain); }
                return Done.Instance;
            });
            if (admin is not null)
            {
                var endpoint = admin;
                shutdown.AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "stop-admin", async () =>
                {
                    await endpoint.StopAsync();
                    return Done.Instance;
                });
            }

            LogStartup(log, system, settings, bound, routing, storage);
            started = true;
            return new TunnelNode(system, listener, bound, spool, admin, metrics, certificateWatcher);
        }
        catch
        {
            foreach (var socket in sockets) socket.Dispose();
            if (admin is not null) await admin.DisposeAsync();
            if (system is not null) await system.Terminate();
            throw;
        }
    }

    /// <summary>The log level the node writes from: akka.loglevel, which Akka's own events already obey.</summary>
    private static LogLevel MinimumLevel(Config config) => config.GetString("akka.loglevel", "INFO").ToUpperInvariant() switch
    {
        "DEBUG" => LogLevel.Debug,
        "WARNING" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "OFF" => LogLevel.None,
        _ => LogLevel.Information,
    };

    /// <summary>
    /// The outbox ingress and the DSNs write to. The reply to the end of data must come before
    /// the client gives up (final-timeout, RFC 5321 §4.5.3.2.6), or it would retry a message we
    /// kept: a duplicate. So a store is abandoned after enqueue-timeout, and a commit already
    /// under way then is waited for at most until final-timeout.
    /// </summary>
    private static Outbox Outbox(TunnelSettings settings, SpoolStore spool, Func<IActorRef> queues)
    {
        var final = settings.Ingress.Limits.FinalTimeout;
        var timeout = settings.Queue.EnqueueTimeout < final ? settings.Queue.EnqueueTimeout : final;
        return new Outbox(spool, queues, timeout, final, settings.Queue.Split);
    }

    /// <summary>The SMTP front door's collaborators: relay policy, DNS verifier of tunnel domains, intake.</summary>
    private static IngressServices IngressWiring(TunnelSettings settings, Outbox outbox, MailLog mailLog, RouteResolver resolver,
        RoutingPolicy routing, Courier courier)
    {
        var ingress = settings.Ingress;
        var intake = new MessageIntake(outbox, mailLog, ingress.Hostname);
        var verifier = ingress.Relay.VerifyMx
            ? new TunnelDomainVerifier(resolver, ingress.Relay.PublicAddresses.Select(TunnelDomainRule.Canonical).ToHashSet(), routing,
                ingress.Limits.CommandTimeout)
            : null;
        var recipients = ingress.Relay.Verification is { Enabled: true } verification
            ? new RecipientVerifier(courier.VerifyRecipientAsync, verification)
            : null;
        return new IngressServices(ingress, new RelayPolicy(ingress.Relay), intake, mailLog, verifier, recipients);
    }

    /// <summary>
    /// Reads the certificate files now rather than at the next poll of <c>tunnel.tls.reload-interval</c>,
    /// and says what was loaded and what failed (and is logged as the poll would).
    /// </summary>
    public Task<ReloadOutcome> ReloadCertificatesAsync() => _certificateWatcher is { } watcher
        ? watcher.Ask<ReloadOutcome>(CertificateWatcher.ReloadNow.Instance, TimeSpan.FromSeconds(30))
        : throw new InvalidOperationException("STARTTLS is not offered (tunnel.tls.certificate is not set): no certificate to reload");

    /// <summary>Stops the node the way Ctrl-C does.</summary>
    public Task StopAsync() => CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await Terminated;
    }

    private static async Task JoinAsync(ActorSystem system, TunnelSettings settings, ILogger log, CancellationToken cancel)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        if (settings.Cluster.Seeds.Count == 0) cluster.Join(cluster.SelfAddress);
        log.LogInformation("Joining cluster as {Address} (seeds: {Seeds})", cluster.SelfAddress,
            settings.Cluster.Seeds.Count == 0 ? "none, a cluster of its own" : string.Join(", ", settings.Cluster.Seeds.Select(s => $"{s.Host}:{s.Port}")));
        await up.Task.WaitAsync(TimeSpan.FromMinutes(2), cancel);
    }

    /// <summary>
    /// SMTP opens only once the shard coordinator answers (it recovers its state from the
    /// journal first): before that, a message's domain queue could not be placed and its
    /// client would get 451. A node that cannot reach a coordinator does not claim to be ready.
    /// </summary>
    private static async Task WaitForShardCoordinatorAsync(ILogger log, IActorRef queues, CancellationToken cancel)
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
                log.LogInformation("Waiting for the shard coordinator before opening SMTP");
            }
        }
    }

    private static void LogStartup(ILogger log, ActorSystem system, TunnelSettings settings, IReadOnlyList<IPEndPoint> bound, RoutingPolicy routing,
        NodeStorage storage)
    {
        log.LogInformation("Tunnel node {Hostname} up as {Address}", settings.Ingress.Hostname, Akka.Cluster.Cluster.Get(system).SelfAddress);
        log.LogInformation("SMTP listening on {Endpoints}", string.Join(", ", bound.Select(SmtpListener.Format)));
        log.LogInformation("Storage: {Storage} (journal, snapshots and spool)", storage.Description);
        var relay = settings.Ingress.Relay;
        log.LogInformation("Relaying for: {Domains}{Verified}{Clients}", relay.Domains.Count == 0 ? "no configured domain" : string.Join(", ", relay.Domains.Order()),
            relay.VerifyMx ? $"; DNS-verified tunnel domains pointing at {string.Join(", ", relay.PublicAddresses)}" : "",
            relay.Clients.Count == 0 ? "; no authorised client networks" : $"; any domain for clients in {string.Join(", ", relay.Clients)}");
        if (relay.Verification.Enabled)
            log.LogInformation("Recipients of tunneled domains are verified with their MX before RCPT is accepted "
                               + "(valid kept {Valid}, invalid {Invalid}; no answer: {Unknown})", relay.Verification.ValidFor,
                relay.Verification.InvalidFor, relay.Verification.AcceptWhenUnknown ? "accept" : "450 4.1.1");
        if (settings.Ingress.Certificates is { } certificates)
        {
            log.LogInformation("STARTTLS: offered; default certificate {Name} (expires {Expiry:yyyy-MM-dd}); files read again every {Interval}",
                certificates.Default.Name, certificates.Default.NotAfterUtc, settings.Ingress.CertificateReloadInterval);
            foreach (var certificate in certificates.ByName)
                log.LogInformation("STARTTLS: for SNI {Names}: {Name} (expires {Expiry:yyyy-MM-dd})", string.Join(", ", certificate.DnsNames),
                    certificate.Name, certificate.NotAfterUtc);
        }
        else log.LogInformation("STARTTLS: not offered (tunnel.tls not set)");
        log.LogInformation("Own addresses (never delivered to): {Own}", settings.Routing.OwnAddresses.Count == 0
            ? "none besides the listen endpoints" : string.Join(", ", settings.Routing.OwnAddresses));
        log.LogInformation("DNS: {Dns}; next hops on port {Port}", settings.Routing.DnsServers.Count == 0
            ? "system resolvers" : string.Join(", ", settings.Routing.DnsServers.Select(SmtpListener.Format)), settings.Outbound.Port);
        log.LogInformation("Delivering over {Families}{Nat64}; family policy {Policy}; never to {Prohibited}", routing.Reachable,
            routing.Nat64 is null ? "" : $" (IPv4 through NAT64 {routing.Nat64})", routing.DefaultFamilyPolicy,
            routing.Prohibited is { Count: > 0 } p ? string.Join(", ", p) : "any prohibited range (none set)");
    }
}
