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
/// The outbound connection cache against a real SMTP server on loopback: consecutive messages to
/// one server share a connection, and a server that closed the cached connection meanwhile (with
/// or without a 421) costs a new connection, never a failed or deferred message.
/// </summary>
public sealed class OutboundConnectionReuse
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static OutboundSettings Settings(TimeSpan cache, int reuseLimit = 100) =>
        new("tunnel.test", 25, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30),
            ConnectionCacheTime: cache, ConnectionReuseLimit: reuseLimit);

    private static async Task<IReadOnlyList<RecipientOutcome>> SendAsync(SmtpSender sender, SinkMx sink, int n)
    {
        var envelope = new Envelope(new Mailbox("sender", "v4.example"));
        var recipient = new Recipient(new Mailbox($"user{n}", "v6.example"));
        var body = Encoding.ASCII.GetBytes($"Subject: message {n}\r\n\r\nbody {n}\r\n");
        var result = await sender.SendAsync(new DeliveryTarget("sink.test", sink.EndPoint), envelope, [recipient], body, CancellationToken.None);
        return Assert.IsType<TransactionCompleted>(result).Outcomes;
    }

    [Fact]
    public async Task Consecutive_messages_to_one_server_share_a_connection()
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        using var sender = new SmtpSender(Settings(TimeSpan.FromMinutes(1)));

        for (var i = 0; i < 5; i++)
            Assert.Equal(RecipientStatus.Delivered, Assert.Single(await SendAsync(sender, sink, i)).Status);

        Assert.Equal(5, (await sink.WaitForMessagesAsync(5, Wait)).Count);
        Assert.Equal(1, sink.ConnectionCount);
    }

    [Fact]
    public async Task The_reuse_limit_opens_a_fresh_connection()
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        using var sender = new SmtpSender(Settings(TimeSpan.FromMinutes(1), reuseLimit: 2));

        for (var i = 0; i < 5; i++)
            Assert.Equal(RecipientStatus.Delivered, Assert.Single(await SendAsync(sender, sink, i)).Status);

        await sink.WaitForMessagesAsync(5, Wait);
        Assert.Equal(3, sink.ConnectionCount); // 2 + 2 + 1
    }

    [Fact]
    public async Task Without_a_cache_every_message_has_its_own_connection()
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        using var sender = new SmtpSender(Settings(TimeSpan.Zero));

        for (var i = 0; i < 3; i++)
            Assert.Equal(RecipientStatus.Delivered, Assert.Single(await SendAsync(sender, sink, i)).Status);

        await sink.WaitForMessagesAsync(3, Wait);
        Assert.Equal(3, sink.ConnectionCount);
    }

    [Theory]
    [InlineData(SinkHangUp.Silently)]
    [InlineData(SinkHangUp.With421)]
    public async Task A_connection_the_server_closed_is_replaced_without_failing_the_message(SinkHangUp hangUp)
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        sink.HangUp = hangUp;
        using var sender = new SmtpSender(Settings(TimeSpan.FromMinutes(1)));

        Assert.Equal(RecipientStatus.Delivered, Assert.Single(await SendAsync(sender, sink, 0)).Status);
        await sink.WaitForMessagesAsync(1, Wait);
        // The sink has hung up (or is about to): the next message must still be delivered, at once.
        for (var i = 1; i < 4; i++)
            Assert.Equal(RecipientStatus.Delivered, Assert.Single(await SendAsync(sender, sink, i)).Status);

        var received = await sink.WaitForMessagesAsync(4, Wait);
        Assert.Equal(4, received.Count);
        Assert.Equal(4, sink.ConnectionCount);
    }
}
