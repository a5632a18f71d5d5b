using Tunnel.Cluster.Queue;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// Backoff: the first delay after the first attempt, doubling per attempt, never past the cap;
/// then spread by ±jitter so that messages deferred together do not return together.
/// </summary>
public sealed class RetryScheduleTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 5, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    // First 1 min, max 1 h.
    [InlineData(1, 60, 1, 1)]
    [InlineData(1, 60, 2, 2)]
    [InlineData(1, 60, 3, 4)]
    [InlineData(1, 60, 4, 8)]
    [InlineData(1, 60, 5, 16)]
    [InlineData(1, 60, 6, 32)]
    [InlineData(1, 60, 7, 60)] // 64 capped
    [InlineData(1, 60, 8, 60)]
    [InlineData(1, 60, 1000, 60)]
    [InlineData(1, 60, int.MaxValue, 60)]
    // A cap that is no power-of-two multiple of the first delay (about Postfix's 300 s / 4000 s).
    [InlineData(5, 66, 1, 5)]
    [InlineData(5, 66, 2, 10)]
    [InlineData(5, 66, 3, 20)]
    [InlineData(5, 66, 4, 40)]
    [InlineData(5, 66, 5, 66)]
    // First equals max: always the max.
    [InlineData(30, 30, 1, 30)]
    [InlineData(30, 30, 9, 30)]
    // Before any attempt (defensive): the first delay.
    [InlineData(1, 60, 0, 1)]
    [InlineData(1, 60, -3, 1)]
    public void Delay_in_minutes(int first, int max, int attemptsMade, int expectedMinutes)
    {
        var schedule = new RetrySchedule(TimeSpan.FromMinutes(first), TimeSpan.FromMinutes(max));

        Assert.Equal(Now + TimeSpan.FromMinutes(expectedMinutes), schedule.Next(attemptsMade, Now));
    }

    [Fact]
    public void Delays_never_shrink()
    {
        var schedule = new RetrySchedule(TimeSpan.FromSeconds(7), TimeSpan.FromHours(4));

        var delays = Enumerable.Range(1, 40).Select(n => schedule.Next(n, Now) - Now).ToList();

        Assert.Equal(delays.Order(), delays);
        Assert.Equal(TimeSpan.FromHours(4), delays[^1]);
    }

    [Fact]
    public void Time_is_taken_from_the_caller_with_its_offset()
    {
        var schedule = new RetrySchedule(TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
        var now = new DateTimeOffset(2026, 3, 5, 23, 59, 30, TimeSpan.FromHours(2));

        var next = schedule.Next(2, now);

        Assert.Equal(new DateTimeOffset(2026, 3, 6, 0, 1, 30, TimeSpan.FromHours(2)), next);
        Assert.Equal(TimeSpan.FromHours(2), next.Offset);
    }
    /// <summary>The largest uniform draw there is: Random.NextDouble() never returns 1.</summary>
    private const double JustBelowOne = 0.99999999999999989;

    /// <summary>
    /// Jitter scales the capped delay by 1 + jitter × (2 × random − 1): a draw of 0 gives
    /// delay × (1 − jitter), 0.5 the delay itself, a draw near 1 delay × (1 + jitter).
    /// First 10 min, max 60 min.
    /// </summary>
    [Theory]
    [InlineData(0.25, 1, 0, 450)]
    [InlineData(0.25, 1, 0.25, 525)]
    [InlineData(0.25, 1, 0.5, 600)]
    [InlineData(0.25, 1, 0.75, 675)]
    [InlineData(0.25, 1, JustBelowOne, 750)]
    [InlineData(0.25, 3, 0, 1800)] // 40 min
    [InlineData(0.25, 3, 0.5, 2400)]
    [InlineData(0.25, 3, JustBelowOne, 3000)]
    // The cap comes first: 80 min capped to 60, then jittered (not 80 × 0.75 = 60).
    [InlineData(0.25, 4, 0, 2700)]
    [InlineData(0.25, 4, 0.5, 3600)]
    [InlineData(0.25, 4, JustBelowOne, 4500)] // past the cap by the jitter, by design
    [InlineData(0.25, 30, 0, 2700)]
    [InlineData(0.1, 1, 0, 540)]
    [InlineData(0.1, 1, 0.5, 600)]
    [InlineData(0.1, 1, JustBelowOne, 660)]
    [InlineData(0.5, 2, 0, 600)] // 20 min
    [InlineData(0.5, 2, JustBelowOne, 1800)]
    // No jitter: the draw does not matter.
    [InlineData(0, 1, 0, 600)]
    [InlineData(0, 1, JustBelowOne, 600)]
    [InlineData(0, 4, 0, 3600)]
    public void Jittered_delay_in_seconds(double jitter, int attemptsMade, double random, int expectedSeconds)
    {
        var schedule = new RetrySchedule(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(60), jitter);

        Assert.Equal(Now + TimeSpan.FromSeconds(expectedSeconds), schedule.Next(attemptsMade, Now, random));
    }

    [Fact]
    public void The_default_draw_means_no_jitter()
    {
        var schedule = new RetrySchedule(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(60), Jitter: 0.25);

        Assert.Equal(Now + TimeSpan.FromMinutes(20), schedule.Next(2, Now));
    }

    [Fact]
    public void Jitter_stays_within_its_band_and_grows_with_the_draw()
    {
        Assert.True(JustBelowOne < 1);
        var schedule = new RetrySchedule(TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), Jitter: 0.2);
        var draws = Enumerable.Range(0, 100).Select(i => i / 100.0).Append(JustBelowOne).ToList();

        foreach (var attempts in new[] { 1, 2, 5, 50 })
        {
            var capped = schedule.Next(attempts, Now) - Now;
            var delays = draws.Select(r => schedule.Next(attempts, Now, r) - Now).ToList();

            Assert.All(delays, d => Assert.InRange(d, capped * 0.8, capped * 1.2));
            Assert.Equal(delays.Order(), delays);
            Assert.Equal(capped * 0.8, delays[0]);
            Assert.Equal(capped, delays[50]);
        }
    }
}
