using Tunnel.Messages.Mail;

namespace Tunnel.Messages.Queue;

/// <summary>
/// A message's recipients in <see cref="Domain"/> are owed delivery: the reference row that says
/// so is already durable in the spool (the outbox), committed with the body before the client
/// heard 250. Ingress tells this to the domain's DomainQueue after that commit (the fast path);
/// the spool's reference row carries the same record, so a queue that never got the message
/// (lost on the way, a node died) adopts it from there (the slow path). Only this envelope part
/// travels between nodes; the body stays in the spool. Adoption is idempotent by id.
/// <see cref="Part"/> names the sub-queue of a split domain that owns the message (0: the
/// domain's plain queue); it is chosen once, when the message is stored, and the reference row
/// keeps it, so changing the split never moves or orphans mail already queued.
/// </summary>
public sealed record NewMail(
    string Domain,
    MessageId Id,
    Envelope Envelope,
    IReadOnlyList<Recipient> Recipients,
    long Size,
    DateTimeOffset ReceivedAt,
    int Part = 0) : IDomainQueueCommand
{
    /// <summary>The DomainQueue entity that owns this reference: the domain, or <c>domain#Part</c>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Queue => QueueName.Of(Domain, Part);
}
