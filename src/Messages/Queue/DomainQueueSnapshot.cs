using Tunnel.Messages.Mail;

namespace Tunnel.Messages.Queue;

/// <summary>The whole state of one DomainQueue, saved now and then so recovery stays short.</summary>
public sealed record DomainQueueSnapshot(IReadOnlyList<QueuedMessageSnapshot> Messages) : ITunnelMessage;

/// <summary>One message in a <see cref="DomainQueueSnapshot"/>.</summary>
/// <param name="Outcomes">The latest outcome of each recipient, in <paramref name="Recipients"/> order (Pending before any attempt).</param>
/// <param name="DelayNotified">A delay DSN was sent already (one per message, RFC 3464 §2.3.3).</param>
/// <param name="History">The latest attempts, oldest first; null in snapshots written before it was kept.</param>
/// <param name="Silent">Deleted by the operator without a bounce: the message owes no notice any more.</param>
/// <param name="NoticesSent">The final DSNs are in the outbox: only the release remains.</param>
public sealed record QueuedMessageSnapshot(
    MessageId Id,
    Envelope Envelope,
    IReadOnlyList<Recipient> Recipients,
    IReadOnlyList<RecipientOutcome> Outcomes,
    long Size,
    DateTimeOffset ReceivedAt,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    bool Removing,
    bool DelayNotified = false,
    IReadOnlyList<AttemptRecord>? History = null,
    bool Silent = false,
    bool NoticesSent = false);
