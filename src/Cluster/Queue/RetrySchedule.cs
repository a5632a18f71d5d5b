namespace Tunnel.Cluster.Queue;

/// <summary>
/// When to try a deferred message again: exponential backoff from <see cref="First"/>, doubling
/// per attempt, capped at <see cref="Max"/> (the shape of Postfix's minimal/maximal backoff).
/// Pure: the caller passes the time. The Delivery issue adds jitter and the lifetime limit.
/// </summary>
public sealed record RetrySchedule(TimeSpan First, TimeSpan Max)
{
    /// <param name="attemptsMade">Attempts made so far, including the one that just ended (1 or more).</param>
    public DateTimeOffset Next(int attemptsMade, DateTimeOffset now)
    {
        var delay = First;
        for (var i = 1; i < attemptsMade && delay < Max; i++) delay += delay;
        return now + (delay < Max ? delay : Max);
    }
}
