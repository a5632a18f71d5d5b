using System.Diagnostics;

namespace Tunnel.Cluster.Spool;

/// <summary>
/// Where one outbox store's time went, as <see cref="Stopwatch"/> timestamps: queued for the
/// spool's writer, its group transaction begun, its rows written, the transaction committed
/// (durable). Filled by the writer; read by the intake for <c>tunnel_intake_step_seconds</c>
/// (what `bench --trace` prints). <see cref="Batch"/> is how many messages shared the commit.
/// </summary>
public sealed class StoreTiming
{
    public long Queued { get; internal set; }
    public long Started { get; internal set; }
    public long Written { get; internal set; }
    public long Committed { get; internal set; }
    public int Batch { get; internal set; }

    /// <summary>Whether the writer got as far as the commit (a store that failed or timed out has gaps).</summary>
    public bool Complete => Queued != 0 && Started >= Queued && Written >= Started && Committed >= Written;
}
