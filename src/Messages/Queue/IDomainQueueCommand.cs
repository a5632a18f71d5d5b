namespace Tunnel.Messages.Queue;

/// <summary>A command for one DomainQueue; the shard extractor routes on <see cref="Queue"/>.</summary>
public interface IDomainQueueCommand : ITunnelMessage
{
    /// <summary>
    /// The queue's entity id: the lower-case ASCII (A-label) destination domain, or
    /// <c>domain#i</c> for sub-queue i of a split domain (<see cref="QueueName"/>).
    /// </summary>
    string Queue { get; }
}
