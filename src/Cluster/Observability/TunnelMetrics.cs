using System.Collections.Concurrent;
using Prometheus;

namespace Tunnel.Cluster.Observability;

/// <summary>
/// The node's metrics, in one Prometheus registry of its own (never the process-wide default, so
/// that several nodes in one test process keep their numbers apart), served as text on the admin
/// endpoint's <c>/metrics</c>. The words are the mail log's: a recipient the log calls "deferred"
/// is counted under status="deferred". Counters are bumped where the mail log writes its line
/// (<see cref="MailLog"/>), gauges are read just before each scrape. Owns: names, labels, help
/// texts and buckets. Does not own: cluster and shard gauges (the node fills them before a scrape).
/// </summary>
public sealed class TunnelMetrics
{
    // From a second to a day: a relay's delays are seconds when all is well, hours when a
    // destination was down.
    // From 50 µs to a second: the steps between the end of the data and the 250.
    private static readonly double[] StepBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1];

    private static readonly double[] DelayBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];

    /// <summary>What a queue (a domain's queue or one of its sub-queues) on this node holds now.</summary>
    private sealed record QueueReading(int Messages, DateTimeOffset? Oldest, int Attempts, bool Down);

    private readonly ConcurrentDictionary<string, QueueReading> _queues = new();
    private readonly Gauge _destinationMessages;
    private readonly Gauge _destinationAttempts;
    private readonly Gauge _destinationOldest;
    private readonly Gauge _destinationDown;
    private readonly Gauge _destinationSubQueues;
    private readonly Counter _destinationDeliveries;
    private volatile HashSet<string> _watched = [];
    private readonly Gauge _sessionsOpen;
    private readonly Counter _connections;
    private readonly Counter _accepted;
    private readonly Counter _refused;
    private readonly Counter _deliveries;
    private readonly Histogram _delay;
    private readonly Counter _dnsLookups;
    private readonly Gauge _queueMessages;
    private readonly Gauge _queueOldest;
    private readonly Gauge _queueDomains;
    private readonly Counter _orphans;
    private readonly Counter _sweptAdoptions;
    private readonly Counter _tlsHandshakes;
    private readonly Counter _tlsFailures;
    private readonly Counter _certificateReloads;
    private readonly Gauge _certificateExpiry;
    private Func<IEnumerable<(string Label, DateTime NotAfterUtc)>> _certificates = () => [];

    /// <summary>The certificate label of a handshake that failed before the client's hello chose one.</summary>
    public const string NoCertificate = "none";

    private readonly Histogram _intakeSteps;
    private readonly Dictionary<string, Histogram.Child> _intakeStepSeries;
    private readonly Counter _intakeCommits;
    private readonly Counter _mtaStsFailures;

    public TunnelMetrics() : this(Metrics.NewCustomRegistry()) { }

    public TunnelMetrics(CollectorRegistry registry)
    {
        Registry = registry;
        var factory = Metrics.WithCustomRegistry(registry);
        _sessionsOpen = factory.CreateGauge("tunnel_smtp_sessions_open", "SMTP sessions open on this node now.");
        _connections = factory.CreateCounter("tunnel_smtp_connections_total",
            "SMTP connections accepted by TCP, before the connection limits, by the client's address family (ipv4, ipv6).", "family");
        _accepted = factory.CreateCounter("tunnel_messages_accepted_total",
            "Messages answered 250 after their data: stored and queued for every recipient domain.");
        _refused = factory.CreateCounter("tunnel_messages_refused_total",
            "Refusals, one per NOQUEUE line of the mail log: connections over a limit, early talkers, recipients and messages, by reason.",
            "reason");
        _deliveries = factory.CreateCounter("tunnel_deliveries_total",
            "Delivery outcomes per recipient, by status (sent, deferred, bounced) and the family of the connection that gave the answer "
            + "(ipv4, ipv6; none when no server answered).", "status", "family");
        _delay = factory.CreateHistogram("tunnel_delivery_delay_seconds",
            "Time from receipt to delivery of each recipient sent, by the family of the delivering connection.",
            new HistogramConfiguration { LabelNames = ["family"], Buckets = DelayBuckets });
        _dnsLookups = factory.CreateCounter("tunnel_dns_lookups_total",
            "DNS questions asked for routing, relay checks and TLS policy, by type (MX, A, AAAA, TXT, TLSA) and result (ok, nxdomain, failed).", "type", "result");
        _queueMessages = factory.CreateGauge("tunnel_queue_messages",
            "Messages in the domain queues running on this node (a message for two domains counts in both).");
        _queueOldest = factory.CreateGauge("tunnel_queue_oldest_age_seconds", "Age of the oldest message queued on this node; 0 when none.");
        _queueDomains = factory.CreateGauge("tunnel_queue_domains", "Domain queues running on this node.");
        // Per destination: only the Destinations with the most mail queued here, and every split
        // domain, so that a node with a million domains does not serve a million series.
        _destinationMessages = factory.CreateGauge("tunnel_destination_messages",
            "Messages queued on this node for the destination domain (all its sub-queues here), for the domains with the most "
            + "and every split domain (tunnel.admin.metrics-destinations).", "domain");
        _destinationAttempts = factory.CreateGauge("tunnel_destination_attempts",
            "Delivery attempts running now from this node to the destination domain.", "domain");
        _destinationOldest = factory.CreateGauge("tunnel_destination_oldest_age_seconds",
            "Age of the destination domain's oldest message queued on this node; 0 when none.", "domain");
        _destinationDown = factory.CreateGauge("tunnel_destination_down",
            "The destination domain's sub-queues on this node that find it down (no server answered): 0 when it is up.", "domain");
        _destinationSubQueues = factory.CreateGauge("tunnel_destination_sub_queues",
            "The destination domain's queues (sub-queues when split) running on this node: with a split domain, summed over "
            + "the nodes, its spread.", "domain");
        _destinationDeliveries = factory.CreateCounter("tunnel_destination_deliveries_total",
            "Delivery outcomes per recipient of the split domains (tunnel.queue.split), by domain and status (sent, deferred, "
            + "bounced): per node, how a hot destination's mail leaves the cluster.", "domain", "status");
        _orphans = factory.CreateCounter("tunnel_spool_orphans_removed_total",
            "Spool rows the sweep removed: bodies no domain referenced, references whose body was gone (kind: body, reference).", "kind");
        _sweptAdoptions = factory.CreateCounter("tunnel_queue_sweep_notices_total",
            "Messages the outbox sweep found unadopted past its bound and told their domain queue about again (a notice was lost).");
        _tlsHandshakes = factory.CreateCounter("tunnel_tls_handshakes_total",
            "STARTTLS handshakes completed, by the certificate served: its first DNS name, or default (no SNI, or no certificate named the SNI).",
            "certificate");
        _tlsFailures = factory.CreateCounter("tunnel_tls_handshake_failures_total",
            "STARTTLS handshakes that failed (the client refused our certificate, spoke no TLS, timed out), by the certificate offered "
            + "(none when the client's hello never came).", "certificate");
        _certificateReloads = factory.CreateCounter("tunnel_tls_certificate_reloads_total",
            "Certificate files read again after they changed, by result: loaded (now served), failed (the old certificate kept).", "result");
        _certificateExpiry = factory.CreateGauge("tunnel_tls_certificate_expiry_seconds",
            "Seconds until each served certificate expires (negative: expired), by certificate (its first DNS name, or default).", "certificate");
        _intakeSteps = factory.CreateHistogram("tunnel_intake_step_seconds",
            "Time of each step from the end of a message's data to its 250: prepare, wait (for the commit before), write, commit, resume.",
            new HistogramConfiguration { LabelNames = ["step"], Buckets = StepBuckets });
        // Each message observes every step: the series are looked up once, not per message.
        _intakeStepSeries = new[] { "prepare", "wait", "write", "commit", "resume" }.ToDictionary(step => step, step => _intakeSteps.WithLabels(step));
        _intakeCommits = factory.CreateCounter("tunnel_intake_commits_total",
            "Spool commits that decided a 250; a message whose commit it shared with n-1 others adds 1/n, so this over messages accepted is commits per 250.");
        _mtaStsFailures = factory.CreateCounter("tunnel_mta_sts_failures_total",
            "What destinations' MTA-STS policies refused (mode enforce: an MX host not listed, no TLS, a certificate not valid; not sent "
            + "there) or would have refused (mode testing: delivered anyway), one per mail-log line.", "mode");
        ClusterMembers = factory.CreateGauge("tunnel_cluster_members",
            "Cluster members as this node sees them, by status (joining, up, leaving, exiting, down, unreachable).", "status");
        Shards = factory.CreateGauge("tunnel_shards", "Shards of the domain queues hosted by this node.");
        registry.AddBeforeCollectCallback(UpdateQueueGauges);
        registry.AddBeforeCollectCallback(UpdateCertificateGauges);
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Filled by the node before each scrape (<c>Cluster.State</c>).</summary>
    public Gauge ClusterMembers { get; }

    /// <summary>Filled by the node before each scrape (the local shard region's state).</summary>
    public Gauge Shards { get; }

    public void SessionOpened(string family)
    {
        _connections.WithLabels(family).Inc();
        _sessionsOpen.Inc();
    }

    public void SessionClosed() => _sessionsOpen.Dec();

    /// <summary>A connection refused before any session (over a limit): counted as a connection, not as a session.</summary>
    public void ConnectionRefused(string family) => _connections.WithLabels(family).Inc();

    public void MessageAccepted() => _accepted.Inc();

    /// <summary>One step of a message's way from the end of its data to its 250 (see MessageIntake).</summary>
    public void IntakeStep(string step, TimeSpan time) =>
        (_intakeStepSeries.TryGetValue(step, out var series) ? series : _intakeSteps.WithLabels(step)).Observe(time.TotalSeconds);

    /// <summary>A 250's share of its commit: 1/n when n messages shared it.</summary>
    public void IntakeCommitShare(int messages) => _intakeCommits.Inc(1.0 / Math.Max(1, messages));

    public void Refused(string reason) => _refused.WithLabels(reason).Inc();

    public void Delivery(string status, string family, TimeSpan delay, string? domain = null)
    {
        _deliveries.WithLabels(status, family).Inc();
        if (domain is not null && _watched.Contains(domain)) _destinationDeliveries.WithLabels(domain, status).Inc();
        if (status == MailLog.Sent) _delay.WithLabels(family).Observe(delay.TotalSeconds);
    }

    public void TlsHandshake(string certificate) => _tlsHandshakes.WithLabels(certificate).Inc();

    public void TlsHandshakeFailed(string certificate) => _tlsFailures.WithLabels(certificate).Inc();

    public void CertificateReloaded(bool loaded) => _certificateReloads.WithLabels(loaded ? "loaded" : "failed").Inc();

    /// <summary>Where the expiry gauge reads the certificates served now (the node's certificate store).</summary>
    public void WatchCertificates(Func<IEnumerable<(string Label, DateTime NotAfterUtc)>> certificates) => _certificates = certificates;

    public void OrphanRemoved(string kind) => _orphans.WithLabels(kind).Inc();

    public void UnadoptedFound(int messages) => _sweptAdoptions.Inc(messages);

    public void MtaStsFailure(string mode) => _mtaStsFailures.WithLabels(mode).Inc();

    public void DnsLookup(string type, string result) => _dnsLookups.WithLabels(type, result).Inc();

    /// <summary>How many destinations the per-destination gauges report (those with the most mail here), besides the watched ones.</summary>
    public int Destinations { get; set; } = 20;

    /// <summary>The destinations always reported, and whose deliveries are counted by domain: the split domains.</summary>
    public void WatchDestinations(IEnumerable<string> domains) =>
        _watched = new HashSet<string>(domains.Select(d => d.ToLowerInvariant()), StringComparer.Ordinal);

    /// <summary>
    /// A queue on this node (<paramref name="queue"/>: a domain, or <c>domain#i</c> for a
    /// sub-queue) now holds so much, its oldest message arrived then, so many attempts run, and
    /// it finds its destination down or not.
    /// </summary>
    public void QueueChanged(string queue, int messages, DateTimeOffset? oldest, int attempts = 0, bool down = false) =>
        _queues[queue] = new QueueReading(messages, oldest, attempts, down);

    public void QueueStopped(string queue) => _queues.TryRemove(queue, out _);

    private void UpdateCertificateGauges()
    {
        var now = DateTime.UtcNow;
        var served = _certificates().ToList();
        // A renewal under another first name: the old name is no longer served, so no longer reported.
        foreach (var gone in _certificateExpiry.GetAllLabelValues().Select(l => l[0]).Except(served.Select(c => c.Label)).ToList())
            _certificateExpiry.RemoveLabelled(gone);
        foreach (var (label, notAfter) in served) _certificateExpiry.WithLabels(label).Set(Math.Round((notAfter - now).TotalSeconds));
    }

    private void UpdateQueueGauges()
    {
        var now = DateTimeOffset.UtcNow;
        var queues = _queues.ToList();
        _queueMessages.Set(queues.Sum(q => q.Value.Messages));
        _queueDomains.Set(queues.Count);
        _queueOldest.Set(AgeOf(queues.Select(q => q.Value.Oldest), now));

        var watched = _watched;
        var destinations = queues
            .GroupBy(q => Tunnel.Messages.Queue.QueueName.DomainOf(q.Key), q => q.Value)
            .Select(g => (Domain: g.Key, Queues: g.ToList()))
            .OrderByDescending(d => d.Queues.Sum(q => q.Messages)).ThenByDescending(d => d.Queues.Sum(q => q.Attempts)).ThenBy(d => d.Domain, StringComparer.Ordinal)
            .Where((d, rank) => rank < Destinations || watched.Contains(d.Domain))
            .ToList();
        var shown = destinations.Select(d => d.Domain).ToHashSet(StringComparer.Ordinal);
        foreach (var gauge in new[] { _destinationMessages, _destinationAttempts, _destinationOldest, _destinationDown, _destinationSubQueues })
            foreach (var gone in gauge.GetAllLabelValues().Select(l => l[0]).Where(d => !shown.Contains(d)).ToList())
                gauge.RemoveLabelled(gone);
        foreach (var (domain, parts) in destinations)
        {
            _destinationMessages.WithLabels(domain).Set(parts.Sum(q => q.Messages));
            _destinationAttempts.WithLabels(domain).Set(parts.Sum(q => q.Attempts));
            _destinationOldest.WithLabels(domain).Set(AgeOf(parts.Select(q => q.Oldest), now));
            _destinationDown.WithLabels(domain).Set(parts.Count(q => q.Down));
            _destinationSubQueues.WithLabels(domain).Set(parts.Count);
        }
    }

    private static double AgeOf(IEnumerable<DateTimeOffset?> arrivals, DateTimeOffset now)
    {
        var oldest = arrivals.Where(a => a is not null).Select(a => a!.Value).DefaultIfEmpty().Min();
        return oldest == default ? 0 : Math.Max(0, (now - oldest).TotalSeconds);
    }
}
