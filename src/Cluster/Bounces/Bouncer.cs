using Tunnel.Cluster.Queue;
using Tunnel.Cluster.Spool;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Envelope = Tunnel.Messages.Mail.Envelope;

namespace Tunnel.Cluster.Bounces;

/// <summary>
/// Sends a <see cref="Notice"/>: builds the DSN from the spooled original (<see cref="BounceBuilder"/>)
/// and submits it from &lt;&gt; to the sender, as mail like any other. Its id is derived from the
/// original's and the notice kind, so sending it again after a crash is harmless.
/// </summary>
public sealed class Bouncer(SpoolStore spool, Submission submission, QueueSettings settings)
{
    /// <returns>The id of the DSN, or null when the original is gone (nothing to report from).</returns>
    public async Task<MessageId?> SendAsync(QueuedMessageState message, Notice notice, DateTimeOffset now, CancellationToken cancel)
    {
        var original = await spool.ReadAsync(message.Id, cancel);
        if (original is null || message.Envelope.Sender is not { } sender) return null;
        var report = new BounceReport(settings.ReportingMta, message.Id, sender, message.Envelope.EnvelopeId, message.ReceivedAt,
            notice.About.Select(p => new BounceRecipient(p.Recipient.Address, notice.Kind,
                notice.Kind == "relayed" ? "2.0.0" : p.Outcome.Dsn.Length > 0 ? p.Outcome.Dsn : "4.0.0",
                p.Recipient.OriginalRecipient, RemoteHost(p.Outcome.Relay), p.Outcome.Detail.Length > 0 ? p.Outcome.Detail : null,
                p.Outcome.Status == RecipientStatus.Pending ? null : now)).ToList(),
            message.Envelope.Return);
        var dsn = BounceBuilder.Build(report, original, settings.MaxReturnedSize, now);
        var id = message.Id.Derived(notice.Kind);
        await submission.SubmitAsync(id, new Envelope(null), [new Recipient(sender, DsnNotify.Never)], dsn, now, cancel);
        return id;
    }

    /// <summary>"mx1.example.com[2001:db8::25]:25" → "mx1.example.com".</summary>
    private static string? RemoteHost(string? relay) => relay?.Split('[', 2)[0];
}
