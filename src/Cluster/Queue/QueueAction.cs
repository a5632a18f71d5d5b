using Tunnel.Cluster.Bounces;
using Tunnel.Messages;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Envelope = Tunnel.Messages.Mail.Envelope;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// An effect <see cref="DomainQueueMachine"/> asks for. The actor runs a step's actions only
/// once the step's events are durable, so nothing outside the queue ever depends on a decision
/// that a crash could take back.
/// </summary>
public abstract record QueueAction
{
    /// <summary>Attempt delivery of the message to these recipients (one <see cref="QueuedMessage"/> actor for the attempt).</summary>
    public sealed record StartAttempt(MessageId Id, long Token, Envelope Envelope, IReadOnlyList<Recipient> Recipients) : QueueAction;

    /// <summary>Abandon the attempt (the message was deleted, or the attempt never reported back).</summary>
    public sealed record CancelAttempt(MessageId Id, long Token) : QueueAction;

    /// <summary>Read the outbox's references to this domain that no queue has adopted yet.</summary>
    public sealed record ScanOutbox(int Limit) : QueueAction;

    /// <summary>Ask the outbox whether this domain still owes the message (before ending it without an attempt).</summary>
    public sealed record CheckOwned(MessageId Id) : QueueAction;

    /// <summary>Record in the outbox that the message is in this queue's journal (so the node's sweep leaves it alone).</summary>
    public sealed record MarkAdopted(MessageId Id) : QueueAction;

    /// <summary>Post the final DSNs the message owes.</summary>
    public sealed record SendNotices(MessageId Id, Envelope Envelope, DateTimeOffset ReceivedAt, IReadOnlyList<Notice> Notices) : QueueAction;

    public sealed record SendDelayNotice(MessageId Id, Envelope Envelope, DateTimeOffset ReceivedAt, Notice Notice) : QueueAction;

    /// <summary>Release this domain's reference to the body.</summary>
    public sealed record Release(MessageId Id) : QueueAction;

    /// <summary>Answer whoever sent the input (the operator's CLI).</summary>
    public sealed record Reply(ITunnelMessage Answer) : QueueAction;

    /// <summary>A line of the mail log.</summary>
    public sealed record Log(QueueLogEntry Entry) : QueueAction;

    /// <summary>Something went wrong that is not about mail (storage): the node's log, as a warning.</summary>
    public sealed record Warn(string Text) : QueueAction;

    /// <summary>
    /// Tell the other sub-queues of the split domain what this queue's own attempts found: the
    /// destination down until <paramref name="DownUntil"/>, or reachable again when it is null.
    /// </summary>
    public sealed record ShareDestination(DateTimeOffset? DownUntil) : QueueAction;

    /// <summary>The queue is empty and quiet: stop (and leave the remembered entities).</summary>
    public sealed record Passivate : QueueAction;
}

/// <summary>The mail-log lines a DomainQueue writes (see <see cref="Observability.MailLog"/>).</summary>
public abstract record QueueLogEntry
{
    public sealed record Queued(MessageId Id, int Recipients) : QueueLogEntry;
    public sealed record Outcome(MessageId Id, RecipientOutcome Disposition, TimeSpan Delay, bool DeletedSilently = false) : QueueLogEntry;
    public sealed record DestinationDown(DateTimeOffset Until) : QueueLogEntry;
    /// <summary>A sibling sub-queue's report was taken: down until <paramref name="Until"/>, or up again when it is null.</summary>
    public sealed record DestinationReported(DateTimeOffset? Until, int ReportedBy) : QueueLogEntry;
    public sealed record Dropped(MessageId Id, string Reason) : QueueLogEntry;
    public sealed record Notified(MessageId Id, string Kinds) : QueueLogEntry;
    public sealed record NotBounced(MessageId Id, string Reason) : QueueLogEntry;
    public sealed record OperatorRetry(int Messages, bool Probe) : QueueLogEntry;
    public sealed record OperatorDeleted(MessageId Id, bool Bounce) : QueueLogEntry;
    public sealed record Removed(MessageId Id) : QueueLogEntry;
}
