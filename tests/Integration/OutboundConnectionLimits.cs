using System.Net;
using System.Text;
using Tunnel.Cluster.Outbound;
using Tunnel.Cluster.Routing;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 13, next hops: the connections a node opens are bounded per next-hop address
/// (<c>connections-per-address</c>, like Postfix's destination concurrency) and in all
/// (<c>max-connections</c>, cached idle ones included). A delivery that finds no room waits up to
/// <c>capacity-wait</c> and then gives up with a 4.4.5 reason of ours, never the server's.
/// On main (2b21272) neither limit existed: every send connected at once (5 at once to one
/// address where 2 are allowed), a cached idle connection stayed open beside new ones, and no
/// send ever gave up, so the waits below for sends that gave up timed out.
/// </summary>
public sealed class OutboundConnectionLimits
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static OutboundSettings Settings(int perAddress = 20, int total = 100, TimeSpan? wait = null) =>
        new("tunnel.test", 25, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), ConnectionCacheTime: TimeSpan.FromMinutes(1),
            ConnectionsPerAddress: perAddress, MaxConnections: total, CapacityWait: wait ?? Wait);

    private static Task<TransactionResult> SendAsync(SmtpSender sender, SinkMx sink, int n, string host = "sink.test")
    {
        var envelope = new Envelope(new Mailbox("sender", "v4.example"));
        var body = Encoding.ASCII.GetBytes($"Subject: message {n}\r\n\r\nhello\r\n");
        return sender.SendAsync(new DeliveryTarget(host, sink.EndPoint), envelope, [new Recipient(new Mailbox($"user{n}", "v6.example"))],
            body, CancellationToken.None);
    }

    private static RecipientStatus Delivered(TransactionResult result) =>
        Assert.Single(Assert.IsType<TransactionCompleted>(result).Outcomes).Status;

    /// <summary>The two deliveries the address allows are in their transactions; then the server answers everything.</summary>
    private static async Task ReleaseOnceTwoAreHeldAsync(SinkMx sink)
    {
        await Eventually.Until(() => sink.HeldReplies >= 2, Wait, "two deliveries in flight");
        sink.ReleaseReplies();
    }

    [Fact]
    public async Task Sends_beyond_the_per_address_limit_wait_for_a_connection()
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        sink.HoldReplies();
        using var sender = new SmtpSender(Settings(perAddress: 2));

        var sends = Enumerable.Range(0, 5).Select(n => SendAsync(sender, sink, n)).ToList();
        await ReleaseOnceTwoAreHeldAsync(sink);

        foreach (var send in sends) Assert.Equal(RecipientStatus.Delivered, Delivered(await send.WaitAsync(Wait)));
        Assert.Equal(5, (await sink.WaitForMessagesAsync(5, Wait)).Count);
        Assert.Equal(2, sink.MostConnectionsAtOnce);
    }

    /// <summary>
    /// Issue 16: a connection that comes back while sends to its target wait for room at its
    /// address goes to the first of them, slot and all, instead of being closed so that it can
    /// open a new one. Before, each of these ten messages had a connection of its own (10).
    /// </summary>
    [Fact]
    public async Task Sends_waiting_for_the_address_take_the_connections_that_come_back()
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        sink.HoldReplies();
        using var sender = new SmtpSender(Settings(perAddress: 2));

        var sends = Enumerable.Range(0, 10).Select(n => SendAsync(sender, sink, n)).ToList();
        await ReleaseOnceTwoAreHeldAsync(sink);

        foreach (var send in sends) Assert.Equal(RecipientStatus.Delivered, Delivered(await send.WaitAsync(Wait)));
        Assert.Equal(10, (await sink.WaitForMessagesAsync(10, Wait)).Count);
        Assert.Equal(2, sink.ConnectionCount);
        Assert.Equal(2, sink.MostConnectionsAtOnce);
    }

    /// <summary>
    /// Two MX host names on one address (a provider's tenants), opportunistic TLS: a connection
    /// that comes back goes to the send first in line whichever name it waits for, as Postfix's
    /// cache finds sessions by address, so neither host is starved, the address never has more
    /// than its two connections, and those two carry everything (before: 3 connections).
    /// </summary>
    [Fact]
    public async Task Host_names_sharing_an_address_take_turns()
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        sink.HoldReplies();
        using var sender = new SmtpSender(Settings(perAddress: 2));

        var sends = Enumerable.Range(0, 12).Select(n => SendAsync(sender, sink, n, n % 3 == 0 ? "b.sink.test" : "a.sink.test")).ToList();
        await ReleaseOnceTwoAreHeldAsync(sink);

        foreach (var send in sends) Assert.Equal(RecipientStatus.Delivered, Delivered(await send.WaitAsync(Wait)));
        Assert.Equal(12, (await sink.WaitForMessagesAsync(12, Wait)).Count);
        Assert.Equal(2, sink.MostConnectionsAtOnce);
        Assert.Equal(2, sink.ConnectionCount);
    }

    [Fact]
    public async Task A_send_that_waits_too_long_for_the_address_gives_up_with_4_4_5()
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        sink.HoldReplies();
        using var sender = new SmtpSender(Settings(perAddress: 2, wait: TimeSpan.FromMilliseconds(300)));

        var sends = Enumerable.Range(0, 5).Select(n => SendAsync(sender, sink, n)).ToList();
        await Eventually.Until(() => sends.Count(s => s.IsCompleted) == 3, Wait, "three sends to give up");
        foreach (var busy in sends.Where(s => s.IsCompleted))
            Assert.Contains("connections-per-address", Assert.IsType<TargetBusy>(await busy).Detail);
        sink.ReleaseReplies();

        var results = await Task.WhenAll(sends).WaitAsync(Wait);
        Assert.Equal(2, results.Count(r => r is TransactionCompleted c && c.Outcomes.All(o => o.Status == RecipientStatus.Delivered)));
        Assert.Equal(2, sink.MostConnectionsAtOnce);
    }

    [Fact]
    public async Task An_idle_cached_connection_gives_way_to_a_new_destination()
    {
        await using var first = SinkMx.Start(IPAddress.Parse("127.0.0.4"));
        await using var second = SinkMx.Start(IPAddress.Parse("127.0.0.5"));
        using var sender = new SmtpSender(Settings(total: 1));

        Assert.Equal(RecipientStatus.Delivered, Delivered(await SendAsync(sender, first, 1).WaitAsync(Wait)));
        Assert.Equal(1, first.OpenConnections); // cached
        Assert.Equal(RecipientStatus.Delivered, Delivered(await SendAsync(sender, second, 2).WaitAsync(Wait)));

        await Eventually.Until(() => first.OpenConnections == 0, TimeSpan.FromSeconds(10), "the idle connection to be closed");
    }

    [Fact]
    public async Task With_every_connection_busy_a_send_gives_up_with_4_4_5()
    {
        await using var first = SinkMx.Start(IPAddress.Parse("127.0.0.4"));
        await using var second = SinkMx.Start(IPAddress.Parse("127.0.0.5"));
        first.HoldReplies();
        using var sender = new SmtpSender(Settings(total: 1, wait: TimeSpan.FromMilliseconds(300)));

        var held = SendAsync(sender, first, 1);
        await Eventually.Until(() => first.HeldReplies == 1, Wait, "the first delivery in flight");
        var busy = await SendAsync(sender, second, 2).WaitAsync(Wait);
        first.ReleaseReplies();

        Assert.Contains("max-connections", Assert.IsType<TargetBusy>(busy).Detail);
        Assert.Equal(0, second.ConnectionCount);
        Assert.Equal(RecipientStatus.Delivered, Delivered(await held.WaitAsync(Wait)));
    }
}
