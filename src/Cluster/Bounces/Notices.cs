using Tunnel.Cluster.Queue;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Bounces;

/// <summary>One DSN a message owes its sender: its kind ("failed", "delayed", "relayed") and the recipients it reports.</summary>
public sealed record Notice(string Kind, IReadOnlyList<(Recipient Recipient, RecipientOutcome Outcome)> About);

/// <summary>
/// Which delivery status notifications a message owes (RFC 3461 §4.1, RFC 3464). Never any to
/// the null sender: a failed bounce is logged and dropped, or bounces would bounce forever
/// (RFC 5321 §4.5.5). A recipient that said NOTIFY=NEVER gets none; one that did not say gets
/// failure and delay notices, not success ones (RFC 3461 leaves the default to us). Pure.
/// </summary>
public static class Notices
{
    /// <summary>What a message owes when it leaves the queue: one failure notice, one relay notice, at most.</summary>
    public static IReadOnlyList<Notice> Final(QueuedMessageState message)
    {
        if (message.Envelope.Sender is null) return [];
        var pairs = Pairs(message);
        var notices = new List<Notice>();
        var failed = pairs.Where(p => p.Outcome.Status == RecipientStatus.Failed && Wants(p.Recipient, DsnNotify.Failure)).ToList();
        if (failed.Count > 0) notices.Add(new Notice("failed", failed));
        var relayed = pairs.Where(p => p.Outcome is { Status: RecipientStatus.Delivered, RelayedWithoutDsn: true }
                                       && p.Recipient.Notify.HasFlag(DsnNotify.Success)).ToList();
        if (relayed.Count > 0) notices.Add(new Notice("relayed", relayed));
        return notices;
    }

    /// <summary>The delay notice a still-waiting message owes now, if any (once per message).</summary>
    public static Notice? Delay(QueuedMessageState message, DateTimeOffset now, QueueSettings settings)
    {
        if (message.Envelope.Sender is null || message.DelayNotified || settings.DelayWarningAfter is not { } after
            || now - message.ReceivedAt < after)
            return null;
        var waiting = Pairs(message)
            .Where(p => !p.Outcome.IsFinal && Wants(p.Recipient, DsnNotify.Delay)).ToList();
        return waiting.Count > 0 ? new Notice("delayed", waiting) : null;
    }

    private static List<(Recipient Recipient, RecipientOutcome Outcome)> Pairs(QueuedMessageState message) =>
        message.Recipients.Select((r, i) => (r, message.Outcomes[i])).ToList();

    private static bool Wants(Recipient recipient, DsnNotify kind) =>
        recipient.Notify == DsnNotify.Unspecified || (recipient.Notify.HasFlag(kind) && !recipient.Notify.HasFlag(DsnNotify.Never));
}
