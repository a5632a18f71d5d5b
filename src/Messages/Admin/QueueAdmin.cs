using Akka.Actor;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Envelope = Tunnel.Messages.Mail.Envelope;

namespace Tunnel.Messages.Admin;

// The operator's questions and orders to one DomainQueue (tunnel queue …), routed by the shard
// extractor on Queue like any queue command (the domain, or domain#i for a sub-queue of a split
// domain). Queries do not count as traffic: an idle queue still passivates however often the
// operator looks at it.

/// <summary>What do you hold? With <see cref="Id"/>: only that message, with its attempt history.</summary>
public sealed record InspectQueue(string Queue, MessageId? Id = null) : IDomainQueueCommand, INotInfluenceReceiveTimeout;

/// <summary>The answer to <see cref="InspectQueue"/> from queue <see cref="Queue"/>: the messages, oldest first, and whether the destination is down.</summary>
/// <param name="DownUntil">When no server of the domain answered: the time of the next probe.</param>
public sealed record QueueInspected(string Queue, DateTimeOffset? DownUntil, IReadOnlyList<QueuedMessageView> Messages) : ITunnelMessage;

/// <summary>One queued message as the operator sees it.</summary>
/// <param name="Outcomes">The latest outcome of each recipient, in <paramref name="Recipients"/> order.</param>
/// <param name="NextAttemptAt">Null when no attempt is planned (the message is leaving the queue).</param>
/// <param name="History">The latest attempts, oldest first: only when the query named this message.</param>
public sealed record QueuedMessageView(
    MessageId Id,
    Envelope Envelope,
    IReadOnlyList<Recipient> Recipients,
    IReadOnlyList<RecipientOutcome> Outcomes,
    long Size,
    DateTimeOffset ReceivedAt,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    IReadOnlyList<AttemptRecord> History);

/// <summary>
/// Attempt now (<c>tunnel queue retry</c>): one message, or every message when <see cref="Id"/>
/// is null. A destination that is down is probed at once: an explicit retry is the operator
/// saying "it is back".
/// </summary>
public sealed record RetryNow(string Queue, MessageId? Id = null) : IDomainQueueCommand;

/// <summary>How many messages were made due by <see cref="RetryNow"/>.</summary>
public sealed record RetryScheduled(string Domain, int Messages) : ITunnelMessage;

/// <summary>Remove a message (<c>tunnel queue delete</c>), returning it to its sender when <see cref="Bounce"/>.</summary>
public sealed record DeleteMessage(string Queue, MessageId Id, bool Bounce) : IDomainQueueCommand;

/// <summary>The answer to <see cref="DeleteMessage"/>: <see cref="Found"/> is false when this queue did not hold it.</summary>
public sealed record DeleteAccepted(string Domain, MessageId Id, bool Found) : ITunnelMessage;
