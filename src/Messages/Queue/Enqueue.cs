using Tunnel.Messages.Mail;

namespace Tunnel.Messages.Queue;

/// <summary>
/// Ingress asks the DomainQueue of <see cref="Domain"/> to take responsibility for the
/// recipients of one spooled message in that domain. The body stays in the spool: only this
/// envelope part travels between nodes. Idempotent by (<see cref="Domain"/>, <see cref="Id"/>).
/// </summary>
public sealed record Enqueue(
    string Domain,
    MessageId Id,
    Envelope Envelope,
    IReadOnlyList<Recipient> Recipients,
    long Size,
    DateTimeOffset ReceivedAt) : IDomainQueueCommand;

/// <summary>The DomainQueue's answer once <see cref="MessageEnqueued"/> is durable.</summary>
public sealed record EnqueueAccepted(string Domain, MessageId Id) : ITunnelMessage;

/// <summary>
/// Ingress withdraws a message it could not confirm to its client (another domain timed out,
/// the spool failed): the client got a 4xx and will send again, so the copy must not be
/// delivered. Harmless when the queue never saw the message.
/// </summary>
public sealed record CancelEnqueue(string Domain, MessageId Id) : IDomainQueueCommand;

/// <summary>
/// Ingress tells the DomainQueue that the message's body is durable in the spool too: the
/// body and the envelope are written at the same time (two commits side by side, not one after
/// the other), so the queue holds back the first attempt until this arrives (or, should the
/// ingress node die, until twice <c>tunnel.queue.enqueue-timeout</c> has passed). Not persisted:
/// a queue recovered from its journal finds the body in the spool, or never had it confirmed.
/// </summary>
public sealed record BodyStored(string Domain, MessageId Id) : IDomainQueueCommand;
