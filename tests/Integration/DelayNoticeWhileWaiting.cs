using System.Net;
using MimeKit;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// A message still waiting after tunnel.queue.delay-warning-after gets one delay notice
/// (Action: delayed) while it keeps being retried; when it is finally delivered, no failure DSN follows.
/// </summary>
public sealed class DelayNoticeWhileWaiting
{
    [Fact]
    public async Task The_sender_is_told_once_that_the_message_is_delayed()
    {
        SinkMx? exampleOrg = null;
        await using var world = await TunnelWorld.StartAsync("queue.delay-warning-after = 1s", zone: (zone, port) =>
        {
            exampleOrg = SinkMx.BindOnly(new IPEndPoint(IPAddress.Parse("127.0.0.7"), port));
            zone.Mx("example.org", 10, "mx.example.org").A("mx.example.org", "127.0.0.7");
        });
        await using var _ = exampleOrg!;
        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["late@example.org"], subject: "slow"));

        var (envelope, dsn) = await world.WaitForDsnAsync();
        Assert.Null(envelope.Sender);
        Assert.Equal("Delayed Mail (still being retried)", dsn.Subject);
        var status = dsn.BodyParts.OfType<MessageDeliveryStatus>().Single().StatusGroups[1];
        Assert.Equal("rfc822; late@example.org", status["Final-Recipient"]);
        Assert.Equal("delayed", status["Action"]);
        Assert.StartsWith("4.", status["Status"]);

        exampleOrg!.Listen();
        await exampleOrg.WaitForMessagesAsync(1, TimeSpan.FromSeconds(60));
        await world.WaitForLogAsync(l => l.Contains($"{id}: removed from example.org queue"), "the message to leave the queue");
        Assert.Single(world.SenderMx.Messages); // the delay notice only
    }
}
