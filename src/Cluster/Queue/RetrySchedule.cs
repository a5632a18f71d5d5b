namespace Tunnel.Cluster.Queue;

/// <summary>
/// When to try a deferred message again: exponential backoff from <see cref="First"/>, doubling
/// per attempt, capped at <see cref="Max"/> (the shape of Postfix's minimal/maximal backoff),
/// spread by ±<see cref="Jitter"/> so that messages deferred together do not all come back in the
/// same second. Pure: the caller passes the time and the random draw.
/// </summary>
public sealed record RetrySchedule(TimeSpan First, TimeSpan Max, double Jitter = 0)
{
    /// <param name="attemptsMade">Attempts made so far, including the one that just ended (1 or more).</param>
    /// <param name="random">A uniform draw in [0, 1); 0.5 means no jitter.</param>
    public DateTimeOffset Next(int attemptsMade, DateTimeOffset now, double random = 0.5)
    {
        var delay = First;
        for (var i = 1; i < attemptsMade && delay < Max; i++) delay += delay;
        if (delay > Max) delay = Max;
        var factor = 1 + Jitter * (random * 2 - 1);
        return now + TimeSpan.FromTicks((long)(delay.Ticks * factor));
    }
}
