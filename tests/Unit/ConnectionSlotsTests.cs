using System.Net;
using Tunnel.Cluster.Outbound;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The node's outbound connection limits (issue 13): per next-hop address and in all, waits in
/// arrival order with a bound, and a busy address never holds up another. New in issue 13 (no
/// limit existed on main: every send connected at once).
/// </summary>
public sealed class ConnectionSlotsTests
{
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress B = IPAddress.Parse("2001:db8::25");
    private static readonly IPAddress C = IPAddress.Parse("198.51.100.7");
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public void One_address_gets_at_most_its_share()
    {
        var slots = new ConnectionSlots(total: 10, perAddress: 2);

        Assert.NotNull(slots.TryEnter(A));
        Assert.NotNull(slots.TryEnter(A));
        Assert.Null(slots.TryEnter(A));
        Assert.NotNull(slots.TryEnter(B));
        Assert.Equal(2, slots.OpenTo(A));
        Assert.Equal(3, slots.Open);
        Assert.Contains("connections-per-address", slots.Why(A));
    }

    [Fact]
    public void The_node_gets_at_most_its_total()
    {
        var slots = new ConnectionSlots(total: 2, perAddress: 20);

        Assert.NotNull(slots.TryEnter(A));
        Assert.NotNull(slots.TryEnter(B));
        Assert.Null(slots.TryEnter(C));
        Assert.Contains("max-connections", slots.Why(C));
    }

    [Fact]
    public async Task A_closed_connection_lets_the_earliest_waiter_in()
    {
        var slots = new ConnectionSlots(total: 1, perAddress: 1);
        var held = slots.TryEnter(A)!;
        var first = slots.EnterAsync(B, Long, CancellationToken.None);
        var second = slots.EnterAsync(C, Long, CancellationToken.None);
        Assert.Equal(2, slots.Waiting);

        held.Dispose();

        Assert.Equal(B, (await first.WaitAsync(Long))!.Request);
        Assert.False(second.IsCompleted);
        Assert.Equal(1, slots.Open);
    }

    [Fact]
    public async Task A_busy_address_does_not_hold_up_another()
    {
        var slots = new ConnectionSlots(total: 2, perAddress: 1);
        var toA = slots.TryEnter(A)!;
        var other = slots.TryEnter(C)!;
        var waitingForA = slots.EnterAsync(A, Long, CancellationToken.None);
        var waitingForB = slots.EnterAsync(B, Long, CancellationToken.None);

        other.Dispose(); // frees a node-wide slot, but A is still at its limit

        Assert.False(waitingForA.IsCompleted);
        Assert.Equal(B, (await waitingForB.WaitAsync(Long))!.Request);
        toA.Dispose();
        Assert.Equal(A, (await waitingForA.WaitAsync(Long))!.Request);
    }

    [Fact]
    public async Task A_wait_that_runs_out_leaves_the_line_empty_handed()
    {
        var slots = new ConnectionSlots(total: 1, perAddress: 1);
        using var held = slots.TryEnter(A)!;

        Assert.Null(await slots.EnterAsync(A, TimeSpan.FromMilliseconds(50), CancellationToken.None).WaitAsync(Long));
        Assert.Null(await slots.EnterAsync(A, TimeSpan.Zero, CancellationToken.None));
        Assert.Equal(0, slots.Waiting);
        Assert.Equal(1, slots.Open);
    }

    [Fact]
    public async Task Cancelling_a_wait_throws_and_leaves_the_line()
    {
        var slots = new ConnectionSlots(total: 1, perAddress: 1);
        using var held = slots.TryEnter(A)!;
        using var cancel = new CancellationTokenSource();

        var waiting = slots.EnterAsync(B, Long, cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Long));
        Assert.Equal(0, slots.Waiting);
    }

    [Fact]
    public async Task Withdrawing_a_wait_ends_it_with_null_and_leaves_the_line()
    {
        var slots = new ConnectionSlots(total: 1, perAddress: 1);
        using var held = slots.TryEnter(A)!;
        using var withdraw = new CancellationTokenSource();

        var waiting = slots.EnterAsync(B, Long, CancellationToken.None, withdraw.Token);
        await withdraw.CancelAsync();

        Assert.Null(await waiting.WaitAsync(Long)); // no exception: a delivery handed a connection withdraws on the hot path
        Assert.Equal(0, slots.Waiting);
        held.Dispose();
        Assert.Equal(0, slots.Open); // nothing was taken for the withdrawn wait
    }

    [Fact]
    public async Task A_lowered_limit_closes_nothing_and_a_raised_one_lets_waiters_in()
    {
        var slots = new ConnectionSlots(total: 10, perAddress: 3);
        using var first = slots.TryEnter(A)!;
        using var second = slots.TryEnter(A)!;

        slots.SetPerAddress(1, "the cluster's share");
        Assert.Null(slots.TryEnter(A)); // two open already, over the new limit: nothing new
        Assert.Contains("the cluster's share", slots.Why(A));
        var waiting = slots.EnterAsync(A, Long, CancellationToken.None);
        second.Dispose();
        Assert.False(waiting.IsCompleted); // still one open: at the limit

        slots.SetPerAddress(2, "the cluster's share");
        using var admitted = await waiting.WaitAsync(Long);
        Assert.NotNull(admitted);
        Assert.Equal(2, slots.OpenTo(A));
    }

    [Fact]
    public void A_permit_gives_its_slot_back_once()
    {
        var slots = new ConnectionSlots(total: 2, perAddress: 2);
        var permit = slots.TryEnter(A)!;
        using var other = slots.TryEnter(A)!;

        permit.Dispose();
        permit.Dispose();

        Assert.Equal(1, slots.OpenTo(A));
        Assert.Equal(1, slots.Open);
    }

    [Fact]
    public void A_connection_is_wanted_only_when_closing_it_lets_a_waiter_in()
    {
        var slots = new ConnectionSlots(total: 3, perAddress: 1);
        using var toA = slots.TryEnter(A)!;
        using var toB = slots.TryEnter(B)!;
        Assert.False(slots.Wanted(A)); // nobody waits

        _ = slots.EnterAsync(A, Long, CancellationToken.None);

        Assert.True(slots.Wanted(A));  // the waiter wants A's slot
        Assert.False(slots.Wanted(B)); // closing B lets nobody in: the node has room, A has not
        Assert.Equal(2, slots.Open);   // asking changed nothing
    }
}
