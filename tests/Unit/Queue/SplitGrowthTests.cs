using FsCheck;
using FsCheck.Fluent;
using Tunnel.Cluster.Queue;
using Xunit;

namespace Tunnel.Tests.Unit.Queue;

/// <summary>
/// Issue 15: the rule by which a domain's split follows its backlog. At the production defaults
/// (10 due messages per slot, 5 minutes, 1 hour, at most 8), time simulated: a backlog that
/// lasts doubles the count, a spike does not, the doublings are spaced and capped, a grown split
/// halves after an hour without backlog and never goes below the configured count.
/// </summary>
public sealed class SplitGrowthTests
{
    private static readonly SplitGrowthSettings Defaults = new(true, 10, TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), 8);
    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private const int Slots = 10;

    [Fact]
    public void The_shipped_defaults_are_off_and_these()
    {
        Assert.False(SplitGrowthSettings.Off.Enabled);
        Assert.Equal(Defaults with { Enabled = false }, SplitGrowthSettings.Off);
        Assert.Equal(TimeSpan.FromSeconds(30), Defaults.CheckEvery);
        Assert.Equal(TimeSpan.FromSeconds(1), (Defaults with { After = TimeSpan.FromSeconds(2) }).CheckEvery);
    }

    [Fact]
    public void A_backlog_that_lasts_five_minutes_doubles_the_split_and_the_next_doubling_waits_as_long()
    {
        var rule = new SplitGrowth(Defaults);

        Assert.Null(rule.Observe(1, 1, 101, Slots, T0));                       // 101 > 10 × 10: a backlog begins
        Assert.Null(rule.Observe(1, 1, 500, Slots, T0.AddMinutes(4.9)));
        Assert.Equal(2, rule.Observe(1, 1, 500, Slots, T0.AddMinutes(5)));
        Assert.Null(rule.Observe(1, 2, 500, Slots, T0.AddMinutes(9)));          // not yet again
        Assert.Equal(4, rule.Observe(1, 2, 500, Slots, T0.AddMinutes(10)));
        Assert.Equal(8, rule.Observe(1, 4, 500, Slots, T0.AddMinutes(15)));
        Assert.Null(rule.Observe(1, 8, 500, Slots, T0.AddMinutes(20)));         // max 8
    }

    [Fact]
    public void A_spike_shorter_than_five_minutes_changes_nothing()
    {
        var rule = new SplitGrowth(Defaults);

        Assert.Null(rule.Observe(1, 1, 300, Slots, T0));
        Assert.Null(rule.Observe(1, 1, 100, Slots, T0.AddMinutes(3)));          // 100 is not more than 10 × 10: over
        Assert.Null(rule.Observe(1, 1, 300, Slots, T0.AddMinutes(4)));          // a new backlog starts its own five minutes
        Assert.Null(rule.Observe(1, 1, 300, Slots, T0.AddMinutes(8.9)));
        Assert.Equal(2, rule.Observe(1, 1, 300, Slots, T0.AddMinutes(9)));
    }

    [Fact]
    public void An_hour_without_backlog_halves_a_grown_split_down_to_the_configured_one()
    {
        var rule = new SplitGrowth(Defaults);

        Assert.Null(rule.Observe(2, 8, 0, Slots, T0));
        Assert.Null(rule.Observe(2, 8, 5, Slots, T0.AddMinutes(30)));           // some waiting: hold, and the hour starts again
        Assert.Null(rule.Observe(2, 8, 0, Slots, T0.AddMinutes(31)));
        Assert.Null(rule.Observe(2, 8, 0, Slots, T0.AddMinutes(90)));
        Assert.Equal(4, rule.Observe(2, 8, 0, Slots, T0.AddMinutes(91)));
        Assert.Equal(2, rule.Observe(2, 4, 0, Slots, T0.AddMinutes(151)));
        Assert.Null(rule.Observe(2, 2, 0, Slots, T0.AddMinutes(300)));          // never below what is configured
    }

    [Fact]
    public void A_configured_split_is_where_growth_starts_and_off_means_never()
    {
        var rule = new SplitGrowth(Defaults with { Max = 64 });
        Assert.Null(rule.Observe(3, 3, 1000, Slots, T0));
        Assert.Equal(6, rule.Observe(3, 3, 1000, Slots, T0.AddMinutes(5)));

        var off = new SplitGrowth(Defaults with { Enabled = false });
        Assert.Null(off.Observe(1, 1, 1000, Slots, T0));
        Assert.Null(off.Observe(1, 1, 1000, Slots, T0.AddHours(1)));
    }
}

/// <summary>
/// Model test of the split-growth rule: random histories of backlog observations (waiting counts
/// and time steps) for random settings and configured counts. After every observation: the count
/// stays between the configured one and the cap, changes only by doubling (capped) or halving
/// (floored), grows only after a backlog that lasted <c>after</c> without a break since the last
/// change or its start, and shrinks only after <c>shrink-after</c> with nothing waiting.
/// FsCheck prints its replay seed and the shrunk history on failure.
/// </summary>
public sealed class SplitGrowthModelTests
{
    public sealed record Step(int Waiting, int Seconds);

    public sealed record History(int Configured, int Max, int PerSlot, int AfterSeconds, int ShrinkSeconds, IReadOnlyList<Step> Steps)
    {
        public override string ToString() =>
            $"configured {Configured}, max {Max}, per-slot {PerSlot}, after {AfterSeconds}s, shrink-after {ShrinkSeconds}s: "
            + string.Join(" ", Steps.Select(s => $"+{s.Seconds}s:{s.Waiting}"));
    }

    private static Arbitrary<History> Histories() => Arb.From(
        from configured in Gen.Choose(1, 4)
        from max in Gen.Choose(1, 16)
        from perSlot in Gen.Choose(1, 10)
        from after in Gen.Choose(1, 300)
        from shrink in Gen.Choose(1, 3600)
        from steps in (from waiting in Gen.Frequency((3, Gen.Constant(0)), (2, Gen.Choose(1, 20)), (5, Gen.Choose(0, 500)))
                       from seconds in Gen.Frequency((5, Gen.Choose(0, 60)), (2, Gen.Choose(60, 4000)))
                       select new Step(waiting, seconds)).ListOf()
        select new History(configured, max, perSlot, after, shrink, steps.ToList()));

    [Fact]
    public void Every_history_keeps_the_growth_invariants() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), Prop.ForAll(Histories(), history =>
        {
            const int slots = 3;
            var settings = new SplitGrowthSettings(true, history.PerSlot, TimeSpan.FromSeconds(history.AfterSeconds),
                TimeSpan.FromSeconds(history.ShrinkSeconds), history.Max);
            var rule = new SplitGrowth(settings);
            var now = DateTimeOffset.UnixEpoch;
            var current = history.Configured;
            DateTimeOffset? backlogSince = null, quietSince = null;
            foreach (var step in history.Steps)
            {
                now += TimeSpan.FromSeconds(step.Seconds);
                var backlog = step.Waiting > history.PerSlot * slots;
                backlogSince = backlog ? backlogSince ?? now : null;
                quietSince = step.Waiting == 0 ? quietSince ?? now : null;
                var next = rule.Observe(history.Configured, current, step.Waiting, slots, now);
                if (next is not { } parts) continue;
                var ceiling = Math.Max(history.Configured, Math.Min(history.Max, QueueSplit.Max));
                if (parts > current)
                {
                    Assert.True(backlog && now - backlogSince >= settings.After, $"grew without a lasting backlog: {history}");
                    Assert.Equal(Math.Min(current * 2, ceiling), parts);
                    backlogSince = now;
                }
                else
                {
                    Assert.True(parts < current, $"a change that changes nothing: {history}");
                    Assert.True(step.Waiting == 0 && now - quietSince >= settings.ShrinkAfter, $"shrank without a quiet hour: {history}");
                    Assert.Equal(Math.Max(history.Configured, current / 2), parts);
                    quietSince = now;
                }
                Assert.InRange(parts, history.Configured, ceiling);
                current = parts;
            }
        }));
}
