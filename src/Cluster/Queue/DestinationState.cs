namespace Tunnel.Cluster.Queue;

/// <summary>
/// Whether a destination domain is reachable at all, and what that allows. When an attempt
/// finds no server of the domain answering (DNS trouble, every connection refused or timed
/// out), the domain is down until a backoff of its own has passed; then one message probes it.
/// A probe that gets through releases everybody; one that does not doubles the wait. This keeps
/// a dead destination from being hammered by every queued message. Kept in memory only: after a
/// restart the first attempt simply finds out again. Pure; the actor passes the time.
/// </summary>
public sealed class DestinationState(RetrySchedule backoff)
{
    private int _downAttempts;
    private bool _probing;

    public DateTimeOffset? DownUntil { get; private set; }
    public bool IsDown => DownUntil is not null;

    /// <summary>How many new attempts may start now.</summary>
    public int Slots(DateTimeOffset now, int concurrency, int inFlight)
    {
        if (!IsDown) return Math.Max(0, concurrency - inFlight);
        return !_probing && now >= DownUntil && inFlight == 0 ? 1 : 0;
    }

    public void ProbeStarted() => _probing = true;

    /// <summary>
    /// The operator asked for a retry: a down destination may be probed at once rather than at
    /// the end of its backoff (the operator knows something we do not, e.g. "it is back").
    /// </summary>
    public void ProbeNow(DateTimeOffset now)
    {
        if (DownUntil > now) DownUntil = now;
    }

    /// <summary>The probe's message went away (deleted by the operator) before it ended: another may probe.</summary>
    public void ProbeAbandoned() => _probing = false;

    public void AttemptEnded(bool destinationDown, DateTimeOffset now)
    {
        _probing = false;
        if (!destinationDown)
        {
            _downAttempts = 0;
            DownUntil = null;
            return;
        }
        _downAttempts++;
        DownUntil = backoff.Next(_downAttempts, now);
    }
}
