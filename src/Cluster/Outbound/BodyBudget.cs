namespace Tunnel.Cluster.Outbound;

/// <summary>
/// The bytes of message bodies this node holds in memory for sending at once
/// (<c>tunnel.outbound.max-content-in-flight</c>): a body is read whole from the spool and kept
/// until its transaction ends, so without a bound 500 domains × 10 attempts of 35 MiB would be
/// 175 GiB. Strict arrival order: a large body waiting for room is not overtaken by a stream of
/// small ones, or it would never go. A body larger than the whole budget counts as all of it:
/// it goes alone. Thread-safe.
/// </summary>
public sealed class BodyBudget(long capacity) : FifoLimiter<long>
{
    private long _held;

    public long Capacity => capacity;

    /// <summary>Bytes held right now.</summary>
    public long Held
    {
        get { lock (Gate) return _held; }
    }

    protected override bool Overtaking => false;

    protected override bool Fits(long bytes) => _held + Counted(bytes) <= capacity;

    protected override void Take(long bytes) => _held += Counted(bytes);

    protected override void Give(long bytes) => _held -= Counted(bytes);

    private long Counted(long bytes) => Math.Clamp(bytes, 0, capacity);
}
