using Tunnel.Messages.Mail;

namespace Tunnel.Messages.Queue;

/// <summary>A message's recipients in one domain became this queue's responsibility (adopted from the outbox).</summary>
public sealed record MessageEnqueued(
    MessageId Id,
    Envelope Envelope,
    IReadOnlyList<Recipient> Recipients,
    long Size,
    DateTimeOffset ReceivedAt) : ITunnelMessage;

/// <summary>
/// One delivery attempt ended (or, with no attempt, the message expired while its destination
/// was down). <see cref="Outcomes"/> names every recipient the attempt covered;
/// <see cref="NextAttemptAt"/> is set when some recipient is still deferred, so a restarted
/// queue keeps its schedule.
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

/// <summary>
/// The operator asked for an attempt now (<c>tunnel queue retry</c>): the waiting messages
/// (one, or all when <see cref="Id"/> is null) are due at <see cref="At"/>.
/// </summary>
public sealed record RetryRequested(MessageId? Id, DateTimeOffset At) : ITunnelMessage;

/// <summary>
/// Written by versions before the outbox, when ingress withdrew a message it could not
/// confirm. Still applied when an old journal is replayed: the message is forgotten.
/// </summary>
public sealed record MessageCancelled(MessageId Id) : ITunnelMessage;

/// <summary>
/// The message is not this queue's to deliver any more: its reference row in the spool is gone
/// (its recipients here were already final: a late or repeated adoption), or its content is.
/// It leaves the queue without an attempt, a notice or a release.
/// </summary>
public sealed record MessageDropped(MessageId Id, string Reason) : ITunnelMessage;

/// <summary>
/// The DSNs the message owes (failed, relayed) are in the outbox: after a crash the queue goes
/// on with the release instead of sending them again.
/// </summary>
public sealed record NoticesSent(MessageId Id) : ITunnelMessage;

/// <summary>
/// Every recipient is final and this domain's reference to the spooled body is released: the
/// message leaves the queue. Persisted only after the release, so a crash in between releases
/// again on recovery (the release is idempotent) instead of leaking the body.
/// </summary>
public sealed record MessageRemoved(MessageId Id) : ITunnelMessage;
