using Tunnel.Cluster.Queue;
using Tunnel.Cluster.Spool;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Envelope = Tunnel.Messages.Mail.Envelope;

namespace Tunnel.Cluster.Bounces;

/// <summary>
/// Sends a <see cref="Notice"/>: builds the DSN from the spooled original (<see cref="BounceBuilder"/>)
/// and posts it from &lt;&gt; to the sender through the outbox, as mail like any other. One DSN per
/// (original, domain, kind): its id is derived from the three, and the outbox stores it only if
/// the original's reference has not recorded that kind yet, so sending it again after a crash
/// is harmless, while two domains of one message each send their own.
/// </summary>
public sealed class Bouncer(SpoolStore spool, Outbox outbox, QueueSettings settings)
{
    /// <returns>The id of the DSN, or null when none was stored (sent before, or the original is gone).</returns>
    public async Task<MessageId?> SendAsync(MessageId id, string domain, Envelope envelope, DateTimeOffset receivedAt, Notice notice,
        DateTimeOffset now, CancellationToken cancel)
    {
        if (envelope.Sender is not { } sender) return null;
        var original = await spool.ReadAsync(id, cancel);
        if (original is null) return null;
        var report = new BounceReport(settings.ReportingMta, id, sender, envelope.EnvelopeId, receivedAt,
            notice.About.Select(p => new BounceRecipient(p.Recipient.Address, notice.Kind,
                notice.Kind == "relayed" ? "2.0.0" : p.Outcome.Dsn.Length > 0 ? p.Outcome.Dsn : "4.0.0",
                p.Recipient.OriginalRecipient, RemoteHost(p.Outcome.Relay), p.Outcome.Detail.Length > 0 ? p.Outcome.Detail : null,
                p.Outcome.Status == RecipientStatus.Pending ? null : now)).ToList(),
            envelope.Return);
        var dsn = BounceBuilder.Build(report, original, settings.MaxReturnedSize, now);
        var dsnId = id.Derived($"{domain}/{notice.Kind}");
        var stored = await outbox.PostAsync(dsnId, new Envelope(null), [new Recipient(sender, DsnNotify.Never)], MessageBody.Of(dsn), now,
            new NoticeGuard(id, domain, notice.Kind));
        return stored ? dsnId : null;
    }

    /// <summary>"mx1.example.com[2001:db8::25]:25" → "mx1.example.com".</summary>
    private static string? RemoteHost(string? relay) => relay?.Split('[', 2)[0];
}
