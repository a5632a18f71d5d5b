namespace Tunnel.Cluster.Queue;

/// <summary>How DomainQueues behave, from <c>tunnel.queue</c>.</summary>
/// <param name="Retry">Backoff between attempts of a deferred message.</param>
/// <param name="ConcurrencyPerDomain">Attempts running at once for one destination domain.</param>
/// <param name="Shards">Number of shards DomainQueues are spread over; fixed for the life of a cluster.</param>
/// <param name="SnapshotEvery">Events between snapshots of a DomainQueue (keeps recovery short).</param>
/// <param name="PassivateAfter">An empty DomainQueue stops after this long without traffic.</param>
/// <param name="EnqueueTimeout">How long ingress waits for a DomainQueue to confirm before answering 451.</param>
/// <param name="AttemptTimeout">Upper bound on one delivery attempt (DNS, connects, transaction).</param>
public sealed record QueueSettings(
    RetrySchedule Retry,
    int ConcurrencyPerDomain,
    int Shards,
    int SnapshotEvery,
    TimeSpan PassivateAfter,
    TimeSpan EnqueueTimeout,
    TimeSpan AttemptTimeout);
