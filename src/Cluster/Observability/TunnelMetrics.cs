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

    private readonly ConcurrentDictionary<string, (int Messages, DateTimeOffset? Oldest)> _queues = new();
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

    public void Delivery(string status, string family, TimeSpan delay)
    {
        _deliveries.WithLabels(status, family).Inc();
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

    /// <summary>A domain queue on this node now holds so much; its oldest message arrived then.</summary>
    public void QueueChanged(string domain, int messages, DateTimeOffset? oldest) => _queues[domain] = (messages, oldest);

    public void QueueStopped(string domain) => _queues.TryRemove(domain, out _);

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
        var queues = _queues.Values.ToList();
        _queueMessages.Set(queues.Sum(q => q.Messages));
        _queueDomains.Set(queues.Count);
        var oldest = queues.Where(q => q.Oldest is not null).Select(q => q.Oldest!.Value).DefaultIfEmpty().Min();
        _queueOldest.Set(oldest == default ? 0 : Math.Max(0, (DateTimeOffset.UtcNow - oldest).TotalSeconds));
    }
}
