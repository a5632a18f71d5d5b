namespace Tunnel.Messages.Queue;

/// <summary>A command for the DomainQueue of one destination domain; the shard extractor routes on <see cref="Domain"/>.</summary>
public interface IDomainQueueCommand : ITunnelMessage
{
    /// <summary>Lower-case ASCII (A-label) destination domain: the sharded entity id.</summary>
    string Domain { get; }
}
