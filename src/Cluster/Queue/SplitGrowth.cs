namespace Tunnel.Cluster.Queue;

/// <summary>How a domain's split grows with its backlog (<c>tunnel.queue.split-growth</c>).</summary>
/// <param name="Enabled">Off: the split is only what <c>split</c> and <c>split-default</c> say.</param>
/// <param name="BacklogPerSlot">Due messages waiting per attempt slot that make a backlog.</param>
/// <param name="After">How long a backlog lasts before the split doubles (and between doublings).</param>
/// <param name="ShrinkAfter">How long without a backlog before a grown split halves.</param>
/// <param name="Max">The most sub-queues growth gives a domain.</param>
public sealed record SplitGrowthSettings(bool Enabled, int BacklogPerSlot, TimeSpan After, TimeSpan ShrinkAfter, int Max)
{
    public static SplitGrowthSettings Off { get; } = new(false, 10, TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), 8);

    /// <summary>How often sub-queue 0 looks at its backlog: a tenth of <see cref="After"/>, between 1 and 30 seconds.</summary>
    public TimeSpan CheckEvery => TimeSpan.FromTicks(Math.Clamp(After.Ticks / 10, TimeSpan.TicksPerSecond, 30 * TimeSpan.TicksPerSecond));
}

/// <summary>
/// The rule by which a split domain's sub-queue count follows its backlog, decided by its
/// sub-queue 0 from what it holds (a message goes to a sub-queue by a hash of its id, so the
/// parts' backlogs are alike). A backlog is more due messages waiting (not being attempted) than
/// <c>backlog-per-slot</c> × the queue's attempt slots. One that lasts <c>after</c> doubles the
/// count (at most <c>max</c>, and never below what is configured); the next doubling needs
/// another <c>after</c> of backlog. <c>shrink-after</c> without a backlog halves a grown count,
/// never below the configured one. Growing or shrinking moves only new mail: each stored
/// message keeps the sub-queue it was stored for. Pure; the caller passes the time.
/// </summary>
public sealed class SplitGrowth(SplitGrowthSettings settings)
{
    private DateTimeOffset? _backlogSince;
    private DateTimeOffset? _quietSince;

    /// <summary>Whether <paramref name="waiting"/> due messages are a backlog for <paramref name="slots"/> slots.</summary>
    public bool IsBacklog(int waiting, int slots) => waiting > (long)settings.BacklogPerSlot * slots;

    /// <param name="configured">The count the configuration gives the domain.</param>
    /// <param name="current">The count in force (configured, or grown).</param>
    /// <param name="waiting">Due messages in this sub-queue not being attempted.</param>
    /// <param name="slots">This sub-queue's attempt slots (concurrency-per-domain).</param>
    /// <returns>The new count when it changes now; null otherwise.</returns>
    public int? Observe(int configured, int current, int waiting, int slots, DateTimeOffset now)
    {
        if (!settings.Enabled) return null;
        if (IsBacklog(waiting, slots))
        {
            _quietSince = null;
            _backlogSince ??= now;
            var grown = Math.Min(Math.Min(settings.Max, QueueSplit.Max), Math.Max(current, configured) * 2);
            if (now - _backlogSince < settings.After || grown <= current) return null;
            _backlogSince = now; // another `after` of backlog before the next doubling
            return grown;
        }
        _backlogSince = null;
        if (waiting > 0)
        {
            _quietSince = null; // some waiting, not a backlog: hold
            return null;
        }
        _quietSince ??= now;
        if (current <= configured || now - _quietSince < settings.ShrinkAfter) return null;
        _quietSince = now;
        return Math.Max(configured, current / 2);
    }
}
