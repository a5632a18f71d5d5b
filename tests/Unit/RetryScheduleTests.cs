using Tunnel.Cluster.Queue;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>Backoff: the first delay after the first attempt, doubling per attempt, never past the cap.</summary>
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
}
