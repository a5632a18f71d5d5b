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
/// Issue 13, next hops: "503 bad sequence of commands" on a connection that carried an earlier
/// transaction says that the server's idea of the session differs from ours, not that this
/// message is undeliverable. The transaction is abandoned before any data went out, the
/// connection closed, and the message sent on a fresh connection in the same attempt.
/// On main (2b21272) the 503 was classified like any 5xx: the message failed (5.5.1) and bounced.
/// </summary>
public sealed class SequenceErrorOnAReusedConnection
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static async Task<RecipientOutcome> SendAsync(SmtpSender sender, SinkMx sink, int n)
    {
        var envelope = new Envelope(new Mailbox("sender", "v4.example"));
        var body = Encoding.ASCII.GetBytes($"Subject: message {n}\r\n\r\nhello\r\n");
        var result = await sender.SendAsync(new DeliveryTarget("sink.test", sink.EndPoint), envelope, [new Recipient(new Mailbox($"user{n}", "v6.example"))],
            body, CancellationToken.None).WaitAsync(Wait);
        return Assert.Single(Assert.IsType<TransactionCompleted>(result).Outcomes);
    }

    [Theory]
    [InlineData(SinkSequenceError.AtMailOnReuse)]
    [InlineData(SinkSequenceError.AtRcptOnReuse)]
    public async Task The_message_goes_out_on_a_fresh_connection(SinkSequenceError where)
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        sink.SequenceError = where;
        using var sender = new SmtpSender(new OutboundSettings("tunnel.test", 25, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30),
            ConnectionCacheTime: TimeSpan.FromMinutes(1)));

        Assert.Equal(RecipientStatus.Delivered, (await SendAsync(sender, sink, 1)).Status);
        var second = await SendAsync(sender, sink, 2);

        Assert.True(second.Status == RecipientStatus.Delivered, $"{where}: {second}");
        Assert.Equal(2, sink.ConnectionCount);
        Assert.Equal(2, (await sink.WaitForMessagesAsync(2, Wait)).Count);
    }
}
