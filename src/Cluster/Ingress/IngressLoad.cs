namespace Tunnel.Cluster.Ingress;

/// <summary>
/// How much mail this node is holding on its way in: transactions between an accepted MAIL and
/// the reply to their data, each holding up to a message's size in memory and, at its end, a
/// commit in flight. Past the bound new mail is put off (451 4.3.1 at MAIL, 421 4.3.2 for new
/// connections) rather than the node running out of memory or piling up work the database
/// cannot absorb; senders retry, as they do for any 4xx. Shared by all sessions; thread-safe.
/// </summary>
public sealed class IngressLoad(int maxPendingMessages)
{
    private int _pending;

    public int Pending => Volatile.Read(ref _pending);
    public bool Overloaded => Pending >= maxPendingMessages;

    public void Entered() => Interlocked.Increment(ref _pending);
    public void Left() => Interlocked.Decrement(ref _pending);
}
