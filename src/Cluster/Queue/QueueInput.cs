using Tunnel.Cluster.Outbound;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// Everything a DomainQueue reacts to, as <see cref="DomainQueueMachine"/> takes it: mail
/// arriving, the ends of the effects it asked for (attempts, notices, releases, scans), the
/// operator's orders, and time passing. The actor turns its messages into these.
/// </summary>
public abstract record QueueInput
{
    /// <summary>The journal has been replayed: resume (scan the outbox, finish what was leaving, attempt what is due).</summary>
    public sealed record Recovered : QueueInput;

    /// <summary>A message is owed to this domain: told by ingress or by the node's sweep.</summary>
    public sealed record Arrived(NewMail Mail) : QueueInput;

    /// <summary>The outbox scan ended: the references not yet adopted, or why it failed.</summary>
    public sealed record ScanFinished(IReadOnlyList<NewMail> Unadopted, string? Error) : QueueInput;

    /// <summary>An attempt ended; <paramref name="Token"/> names which one, so a late report of an abandoned attempt is ignored.</summary>
    public sealed record AttemptFinished(MessageId Id, long Token, AttemptReport Report) : QueueInput;

    /// <summary>The timer the machine asked for went off (or any other moment to look at the clock).</summary>
    public sealed record Tick : QueueInput;

    /// <summary>The operator: attempt now (one message, or all when null).</summary>
    public sealed record Retry(MessageId? Id) : QueueInput;

    /// <summary>The operator: delete a message, notifying its sender when <paramref name="Bounce"/>.</summary>
    public sealed record Delete(MessageId Id, bool Bounce) : QueueInput;

    /// <summary>The final DSNs went into the outbox (<paramref name="Kinds"/>: which were stored now; empty when all were already).</summary>
    public sealed record NoticesSent(MessageId Id, string Kinds) : QueueInput;

    public sealed record DelayNoticeSent(MessageId Id) : QueueInput;

    /// <summary>The spool released this domain's reference.</summary>
    public sealed record Released(MessageId Id) : QueueInput;

    /// <summary>A notice or a release failed; it is tried again after a pause.</summary>
    public sealed record StepFailed(MessageId Id, string What, string Reason) : QueueInput;

    /// <summary>Whether the outbox still holds this domain's reference to the message.</summary>
    public sealed record OwnershipChecked(MessageId Id, bool Owned) : QueueInput;

    /// <summary>
    /// A sibling sub-queue of the split domain (part <paramref name="ReportedBy"/>) found the
    /// destination down until <paramref name="DownUntil"/>, or reachable again when it is null.
    /// </summary>
    public sealed record DestinationReported(DateTimeOffset? DownUntil, int ReportedBy) : QueueInput;

    /// <summary>Nothing has happened for a while: stop if idle.</summary>
    public sealed record IdleCheck : QueueInput;
}
