namespace Tunnel.Cluster.Ingress;

/// <summary>
/// The node's memory for message content on its way in (<c>tunnel.smtp.max-content-in-flight</c>):
/// every session's content buffer reserves what it grows to, and gives it back when its message
/// is stored or dropped. Counting transactions alone did not bound memory: 500 of them at up to
/// 35 MiB each could add up to tens of GiB. When the budget is spent a message that needs more
/// is refused at its end with 452 4.3.1 (and a MAIL that declares more than is left, at once),
/// so the sender retries later instead of the node running out of memory. Thread-safe.
/// </summary>
public sealed class ContentBudget(long capacity)
{
    private long _reserved;

    public long Capacity => capacity;
    public long Reserved => Interlocked.Read(ref _reserved);
    public long Available => Math.Max(0, capacity - Reserved);

    /// <summary>Takes <paramref name="bytes"/> if that many are left; false (and nothing taken) otherwise.</summary>
    public bool TryReserve(long bytes)
    {
        while (true)
        {
            var current = Interlocked.Read(ref _reserved);
            if (current + bytes > capacity) return false;
            if (Interlocked.CompareExchange(ref _reserved, current + bytes, current) == current) return true;
        }
    }

    public void Release(long bytes) => Interlocked.Add(ref _reserved, -bytes);
}
