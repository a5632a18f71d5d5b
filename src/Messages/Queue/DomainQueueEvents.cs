using Tunnel.Messages.Mail;

namespace Tunnel.Messages.Queue;

/// <summary>A message's recipients in one domain became this queue's responsibility.</summary>
public sealed record MessageEnqueued(
    MessageId Id,
    Envelope Envelope,
    IReadOnlyList<Recipient> Recipients,
    long Size,
    DateTimeOffset ReceivedAt) : ITunnelMessage;

/// <summary>
/// One delivery attempt ended. <see cref="Outcomes"/> names every recipient the attempt
/// covered; <see cref="NextAttemptAt"/> is set when some recipient is still deferred, so a
/// restarted queue keeps its schedule.
/// </summary>
public sealed record DeliveryAttempted(
    MessageId Id,
    DateTimeOffset At,
    IReadOnlyList<RecipientOutcome> Outcomes,
    DateTimeOffset? NextAttemptAt) : ITunnelMessage;

/// <summary>
/// A delay notice (DSN with Action: delayed, RFC 3464 §2.3.3) went to the sender; one per message.
/// </summary>
public sealed record DelayNotified(MessageId Id) : ITunnelMessage;

/// <summary>
/// The operator deleted the message (<c>tunnel queue delete</c>): every recipient not yet final
/// fails with 5.0.0 "deleted by the operator". With <see cref="Bounce"/> the sender gets the
/// failure DSN it would get for any failed recipient; without, no notice at all goes out (like
/// Postfix's <c>postsuper -d</c>). The message then leaves the queue as usual.
/// </summary>
public sealed record MessageDeleted(MessageId Id, DateTimeOffset At, bool Bounce) : ITunnelMessage;

/// <summary>Ingress withdrew the message before confirming it (see <see cref="CancelEnqueue"/>).</summary>
public sealed record MessageCancelled(MessageId Id) : ITunnelMessage;

/// <summary>
/// Every recipient is final and this domain's reference to the spooled body is released: the
/// message leaves the queue. Persisted only after the release, so a crash in between releases
/// again on recovery (the release is idempotent) instead of leaking the body.
/// </summary>
public sealed record MessageRemoved(MessageId Id) : ITunnelMessage;
