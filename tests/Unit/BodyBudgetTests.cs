using Tunnel.Cluster.Outbound;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The node's memory for message bodies being sent (issue 13): bodies are admitted while they
/// fit, in strict arrival order, and one larger than the whole budget goes alone. New in issue
/// 13 (on main nothing bounded the bodies an attempt read).
/// </summary>
public sealed class BodyBudgetTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public void Bodies_are_admitted_while_they_fit()
    {
        var budget = new BodyBudget(100);

        Assert.NotNull(budget.TryEnter(60));
        Assert.NotNull(budget.TryEnter(40));
        Assert.Null(budget.TryEnter(1));
        Assert.Equal(100, budget.Held);
    }

    [Fact]
    public async Task A_body_larger_than_the_budget_goes_alone()
    {
        var budget = new BodyBudget(100);
        var small = budget.TryEnter(10)!;

        var huge = budget.EnterAsync(1_000, Long, CancellationToken.None);
        Assert.False(huge.IsCompleted);
        small.Dispose();

        using var permit = (await huge.WaitAsync(Long))!;
        Assert.Equal(100, budget.Held);
        Assert.Null(budget.TryEnter(1));
    }

    [Fact]
    public async Task A_waiting_large_body_is_not_overtaken_by_small_ones()
    {
        var budget = new BodyBudget(100);
        var held = budget.TryEnter(50)!;
        var large = budget.EnterAsync(80, Long, CancellationToken.None);

        Assert.Null(budget.TryEnter(10)); // would fit, but the large one came first
        var small = budget.EnterAsync(10, Long, CancellationToken.None);
        held.Dispose();

        Assert.Equal(80, (await large.WaitAsync(Long))!.Request);
        Assert.Equal(10, (await small.WaitAsync(Long))!.Request); // 80 + 10 fit together: both in, in order
        Assert.Equal(90, budget.Held);
    }

    [Fact]
    public async Task When_the_first_in_line_gives_up_the_next_one_that_fits_goes()
    {
        var budget = new BodyBudget(100);
        using var held = budget.TryEnter(50)!;
        var large = budget.EnterAsync(80, TimeSpan.FromMilliseconds(50), CancellationToken.None);
        var small = budget.EnterAsync(10, Long, CancellationToken.None);

        Assert.Null(await large.WaitAsync(Long));
        Assert.Equal(10, (await small.WaitAsync(Long))!.Request);
        Assert.Equal(60, budget.Held);
    }
}
