namespace Tunnel.Cluster.Queue;

/// <summary>
/// Whether a destination domain is reachable at all, and what that allows. When an attempt
/// finds no server of the domain answering (DNS trouble, every connection refused or timed
/// out), the domain is down until a backoff of its own has passed; then one message probes it.
/// A probe that gets through releases everybody; one that does not doubles the wait. One
/// outage counts once: attempts that were already running when it was noticed fail too, but
/// they do not push the backoff further (only a failed probe does). Without jitter: there is
/// one probe per domain in the whole cluster, nobody to spread out from. Kept in memory only:
/// after a restart the first attempt simply finds out again. Pure; the caller passes the time.
///
/// The sub-queues of a split domain share one destination (issue 15): what one finds out by its
/// own attempts it tells the others (<see cref="Adopt"/>, <see cref="Cleared"/>). Told "down
/// until T", a sub-queue that is up waits for T as if it had found out itself, but without a
/// failed probe of its own: only its own failed probes double its backoff, so an outage is
/// counted once in each backoff, not once per sub-queue. Told "up", a down sub-queue is up.
/// </summary>
public sealed class DestinationState(RetrySchedule backoff)
{
    private int _failedProbes;

    public DateTimeOffset? DownUntil { get; private set; }
    public bool IsDown => DownUntil is not null;

    /// <summary>How many new attempts may start now, given how many are running.</summary>
    public int Slots(DateTimeOffset now, int concurrency, int inFlight)
    {
        if (!IsDown) return Math.Max(0, concurrency - inFlight);
        return now >= DownUntil && inFlight == 0 ? 1 : 0;
    }

    /// <summary>When an attempt may start next if none is running: null when one may start now or the destination is up.</summary>
    public DateTimeOffset? ProbeAt => DownUntil;

    /// <summary>
    /// The operator asked for a retry: a down destination may be probed at once rather than at
    /// the end of its backoff (the operator knows something we do not, e.g. "it is back").
    /// </summary>
    public void ProbeNow(DateTimeOffset now)
    {
        if (DownUntil > now) DownUntil = now;
    }

    /// <summary>
    /// A sibling sub-queue found the destination down until <paramref name="until"/>: if this
    /// one is up, it starts nothing new until then, then probes once. One that is down already
    /// keeps its own backoff (it found out, or was told, before). Attempts running are not touched.
    /// </summary>
    /// <returns>True when this changed the state: worth a log line.</returns>
    public bool Adopt(DateTimeOffset until)
    {
        if (IsDown) return false;
        DownUntil = until;
        return true;
    }

    /// <summary>A sibling sub-queue got through: a down destination is up again, its backoff starts over.</summary>
    /// <returns>True when this one was down: worth a log line.</returns>
    public bool Cleared()
    {
        if (!IsDown) return false;
        _failedProbes = 0;
        DownUntil = null;
        return true;
    }

    /// <returns>True when the destination went down, or a failed probe moved its next probe out: worth a log line.</returns>
    public bool AttemptEnded(bool destinationDown, bool probe, DateTimeOffset now)
    {
        if (!destinationDown)
        {
            _failedProbes = 0;
            DownUntil = null;
            return false;
        }
        if (IsDown && !probe) return false; // started before the outage was noticed: already counted
        _failedProbes = IsDown ? _failedProbes + 1 : 0;
        DownUntil = backoff.Next(_failedProbes + 1, now);
        return true;
    }
}
