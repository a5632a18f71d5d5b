using Tunnel.Messages.Mail;

namespace Tunnel.Messages.Queue;

/// <summary>The whole state of one DomainQueue, saved now and then so recovery stays short.</summary>
public sealed record DomainQueueSnapshot(IReadOnlyList<QueuedMessageSnapshot> Messages) : ITunnelMessage;

/// <summary>One message in a <see cref="DomainQueueSnapshot"/>.</summary>
public sealed record QueuedMessageSnapshot(
    MessageId Id,
    Mailbox? Sender,
    IReadOnlyList<RecipientOutcome> Recipients,
    long Size,
    BodyType Body,
    DateTimeOffset ReceivedAt,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    bool Removing);
