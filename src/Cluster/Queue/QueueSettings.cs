namespace Tunnel.Cluster.Queue;

/// <summary>How DomainQueues behave, from <c>tunnel.queue</c> and <c>tunnel.bounce</c>.</summary>
/// <param name="Retry">Backoff between attempts of a deferred message, and of a destination that is down.</param>
/// <param name="Lifetime">How long a message may stay queued; then its deferred recipients fail (4.4.7) and are bounced.</param>
/// <param name="DelayWarningAfter">Age at which the sender gets one delay notice; null: never.</param>
/// <param name="ConcurrencyPerDomain">Attempts running at once for one destination domain's queue; each sub-queue of a split domain has this many.</param>
/// <param name="Shards">Number of shards DomainQueues are spread over; fixed for the life of a cluster.</param>
/// <param name="SnapshotEvery">Events between snapshots of a DomainQueue (keeps recovery short).</param>
/// <param name="PassivateAfter">An empty DomainQueue stops after this long without traffic.</param>
/// <param name="EnqueueTimeout">How long a message's outbox commit may take before it is abandoned (451, nothing kept).</param>
/// <param name="AttemptTimeout">Upper bound on one delivery attempt (DNS, connects, transaction).</param>
/// <param name="ReportingMta">Our host name in DSNs.</param>
/// <param name="MaxReturnedSize">A DSN returns the whole original up to this size (unless RET says otherwise), else its headers.</param>
public sealed record QueueSettings(
    RetrySchedule Retry,
    TimeSpan Lifetime,
    TimeSpan? DelayWarningAfter,
    int ConcurrencyPerDomain,
    int Shards,
    int SnapshotEvery,
    TimeSpan PassivateAfter,
    TimeSpan EnqueueTimeout,
    TimeSpan AttemptTimeout,
    string ReportingMta,
    long MaxReturnedSize)
{
    /// <summary>How often each node looks for outbox references no queue adopted, and how old they must be to count.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the spool's orphans (bodies without references, references without bodies) are removed, and their minimum age.</summary>
    public TimeSpan OrphanAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How many sub-queues each destination domain's new mail is spread over (<c>tunnel.queue.split</c>, <c>split-default</c>).</summary>
    public QueueSplit Split { get; init; } = QueueSplit.None;

    /// <summary>Whether and how a domain's split grows with its backlog (<c>tunnel.queue.split-growth</c>).</summary>
    public SplitGrowthSettings SplitGrowth { get; init; } = SplitGrowthSettings.Off;
}
