using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Tunnel.Cluster.Ingress;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Observability;

/// <summary>
/// The mail log: one line per event in a message's life, keyed by queue id, separate from
/// debug output (its own logger category, <see cref="Category"/>), in the spirit of Postfix's
/// maillog so that operators can grep it:
/// <c>0ABC…: to=&lt;u@example.com&gt;, relay=mx1.example.com[::1]:25, family=ipv6, tls=verified, tls-protocol=Tls13,
/// tls-cipher=TLS_AES_256_GCM_SHA384, delay=0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)</c> (tls=none alone without TLS).
/// One line per disposition of each recipient; status words are Postfix's: sent, deferred,
/// bounced (a permanent failure, whether or not a DSN can go out: the "sender notified" and
/// "no bounce" lines say which), and deleted (by the operator, without a DSN). Every line also
/// counts in <see cref="TunnelMetrics"/> under the same words.
/// </summary>
public sealed class MailLog(ILogger logger, TunnelMetrics metrics)
{
    public const string Category = "mail";
    public const string Sent = "sent";
    public const string Deferred = "deferred";
    public const string Bounced = "bounced";
    public const string Deleted = "deleted";

    public TunnelMetrics Metrics => metrics;

    public void Received(MessageId id, IPAddress client, string? clientName, Mailbox? from, int recipients, long size)
    {
        metrics.MessageAccepted();
        var name = clientName ?? "unknown";
        Write(id, $"received from {name}{ReceivedHeader.AddressLiteral(client)}, from=<{from}>, nrcpt={recipients}, size={size}",
            ("client", client.ToString()), ("clientName", name), ("from", from?.ToString() ?? ""), ("nrcpt", recipients), ("size", size));
    }

    public void Queued(MessageId id, string domain, int recipients) =>
        Write(id, $"queued for {domain}, nrcpt={recipients}", ("domain", domain), ("nrcpt", recipients));

    public void Refused(IPAddress client, string reason)
    {
        metrics.Refused(RefusalReason.Of(reason));
        Line($"NOQUEUE: refused from {ReceivedHeader.AddressLiteral(client)}: {reason}",
            ("client", client.ToString()), ("reply", reason), ("reason", RefusalReason.Of(reason)));
    }

    /// <summary>A recipient refused at RCPT (Postfix's "NOQUEUE: reject: RCPT").</summary>
    public void RecipientRefused(IPAddress client, string reason, Mailbox? from, Mailbox? to)
    {
        metrics.Refused(RefusalReason.Of(reason));
        Line($"NOQUEUE: refused from {ReceivedHeader.AddressLiteral(client)}: {reason}; from=<{from}> to=<{to}>",
            ("client", client.ToString()), ("reply", reason), ("reason", RefusalReason.Of(reason)),
            ("from", from?.ToString() ?? ""), ("to", to?.ToString() ?? ""));
    }

    /// <summary>A session we ended for the client's behaviour, not its mail (Postfix: "timeout after … from …").</summary>
    public void Disconnected(IPAddress client, string reason) =>
        Line($"disconnect from {ReceivedHeader.AddressLiteral(client)}: {reason}", ("client", client.ToString()), ("reason", reason));

    public void NotQueued(MessageId id, string reason) =>
        Write(id, $"not queued, client told to retry: {reason}", ("reason", reason));

    /// <param name="delay">From receipt to this disposition, as Postfix's delay=.</param>
    public void Outcome(MessageId id, RecipientOutcome outcome, TimeSpan delay, bool deletedSilently = false)
    {
        var status = deletedSilently ? Deleted : StatusOf(outcome.Status);
        var relay = outcome.Relay ?? "none";
        var family = RelayFamily.Of(outcome.Relay);
        metrics.Delivery(status, family, delay, outcome.Recipient.Domain.ToLowerInvariant());
        var seconds = Math.Round(delay.TotalSeconds, 2);
        var tls = outcome.Tls ?? new TlsSummary(TlsSummary.None);
        var tlsText = tls.Protocol is null ? $"tls={tls.Level}" : $"tls={tls.Level}, tls-protocol={tls.Protocol}, tls-cipher={tls.Cipher}";
        Write(id, $"to=<{outcome.Recipient}>, relay={relay}, family={family}, {tlsText}, delay={seconds.ToString("0.##", CultureInfo.InvariantCulture)}, "
                  + $"dsn={outcome.Dsn}, status={status} ({outcome.Detail})",
            ("to", outcome.Recipient.ToString()), ("relay", relay), ("family", family), ("tls", tls.Level), ("tlsProtocol", tls.Protocol ?? ""),
            ("tlsCipher", tls.Cipher ?? ""), ("delay", seconds), ("dsn", outcome.Dsn), ("status", status), ("reply", outcome.Detail));
    }

    /// <summary>
    /// What a destination's MTA-STS policy refused (enforce: that MX host or connection was not
    /// used) or would have refused (testing: delivered anyway, RFC 8461 §5), counted in
    /// tunnel_mta_sts_failures_total by mode.
    /// </summary>
    public void MtaStsFailure(string domain, string mode, string problem)
    {
        metrics.MtaStsFailure(mode);
        Line($"{domain}: MTA-STS policy (mode {mode}) not met{(mode == "testing" ? ", delivered anyway" : ", not sent there")}: {problem}",
            ("domain", domain), ("mode", mode), ("reason", problem));
    }

    /// <summary>The word of the log, the metrics and the CLI for a recipient's status.</summary>
    public static string StatusOf(RecipientStatus status) => status switch
    {
        RecipientStatus.Delivered => Sent,
        RecipientStatus.Failed => Bounced,
        RecipientStatus.Pending => "pending",
        _ => Deferred,
    };

    /// <summary>DSNs went to the sender (Postfix: "sender non-delivery notification").</summary>
    public void Notified(MessageId id, string kinds) => Write(id, $"sender notified: {kinds}", ("notices", kinds));

    public void NotBounced(MessageId id, string reason) => Write(id, $"no bounce: {reason}", ("reason", reason));

    public void DestinationDown(string domain, DateTimeOffset until) =>
        Line($"{domain}: destination down, no server reachable; its mail waits until {until:yyyy-MM-ddTHH:mm:ssZ}",
            ("domain", domain), ("downUntil", until));

    /// <summary>
    /// Sub-queue <paramref name="part"/> of a split domain took what sub-queue
    /// <paramref name="reportedBy"/> found of their destination (issue 15): down until
    /// <paramref name="until"/>, or reachable again when it is null.
    /// </summary>
    public void DestinationReported(string domain, int part, DateTimeOffset? until, int reportedBy) =>
        Line(until is { } at
                ? $"{domain} sub-queue #{part}: destination down until {at:yyyy-MM-ddTHH:mm:ssZ} (reported by sub-queue #{reportedBy}); its mail waits until then"
                : $"{domain} sub-queue #{part}: destination reachable again (reported by sub-queue #{reportedBy}); its due mail goes now",
            ("domain", domain), ("part", part), ("reportedBy", reportedBy), ("downUntil", until));

    /// <summary>The domain's split grew with its backlog, or went back (issue 15, split-growth): new mail goes over <paramref name="parts"/> sub-queues.</summary>
    public void SplitChanged(string domain, int parts, string why) =>
        Line($"{domain}: {parts} sub-queue(s) for new mail ({why})", ("domain", domain), ("parts", parts), ("reason", why));

    /// <summary>A queue let go of a message without delivering it, because it is not owed any more.</summary>
    public void Dropped(MessageId id, string domain, string reason) =>
        Write(id, $"dropped from {domain} queue: {reason}", ("domain", domain), ("reason", reason));

    /// <summary>The spool's sweep removed what nothing pointed at (a body) or what pointed at nothing (a reference).</summary>
    public void OrphanRemoved(MessageId id, string? domain, DateTimeOffset createdAt)
    {
        metrics.OrphanRemoved(domain is null ? "body" : "reference");
        Write(id, domain is null
                ? $"orphaned body removed from the spool (stored {createdAt:yyyy-MM-ddTHH:mm:ssZ}, no domain referenced it)"
                : $"orphaned reference of {domain} removed from the spool (stored {createdAt:yyyy-MM-ddTHH:mm:ssZ}, its body was gone)",
            ("domain", domain ?? ""), ("createdAt", createdAt));
    }

    public void OperatorRetry(string domain, int messages, bool probe) =>
        Line($"{domain}: retry now requested by the operator for {messages} message(s){(probe ? ", probing the down destination" : "")}",
            ("domain", domain), ("messages", messages));

    public void OperatorDeleted(MessageId id, string domain, bool bounce) =>
        Write(id, $"deleted from {domain} queue by the operator{(bounce ? ", sender to be notified" : ", no notice")}",
            ("domain", domain), ("bounce", bounce));

    public void Removed(MessageId id, string domain) => Write(id, $"removed from {domain} queue", ("domain", domain));

    private void Write(MessageId id, string text, params (string Name, object? Value)[] fields) =>
        Emit($"{id}: {text}", fields.Prepend(("queueId", id.Value)));

    private void Line(string text, params (string Name, object? Value)[] fields) => Emit(text, fields);

    private void Emit(string text, IEnumerable<(string Name, object? Value)> fields) =>
        logger.Log(LogLevel.Information, default, new MailLogLine(text, fields.Select(f => new KeyValuePair<string, object?>(f.Name, f.Value)).ToList()),
            null, MailLogLine.Format);
}
