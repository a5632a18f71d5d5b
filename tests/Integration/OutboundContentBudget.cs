using System.Text;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 13, next hops: the bodies a node holds in memory for sending are bounded node-wide
/// (<c>tunnel.outbound.max-content-in-flight</c>), whatever the number of domains and their
/// concurrency: here three domains with two 40 KiB messages each share a budget of 64 KiB, so
/// one delivery is in flight at a time. The others wait <c>capacity-wait</c> (1 s here), are
/// deferred with 4.4.5 (never bounced), and go out once there is room.
/// On main (2b21272) nothing bounded them: all six were in flight at once, nothing was deferred,
/// and the wait for the 4.4.5 line timed out.
/// </summary>
public sealed class OutboundContentBudget
{
    [Fact]
    public async Task Deliveries_wait_for_room_and_are_deferred_not_bounced()
    {
        string[] domains = ["example.com", "d1.example", "d2.example"];
        await using var world = await TunnelWorld.StartAsync(
            """
            relay.domains = ["example.com", "d1.example", "d2.example"]
            outbound.max-content-in-flight = 64KiB
            outbound.capacity-wait = 1s
            """,
            (zone, _) => zone.Mx("d1.example", 10, "mx.sink.example").Mx("d2.example", 10, "mx.sink.example").Aaaa("mx.sink.example", "::1"));
        world.ExampleCom.HoldReplies();
        var body = new StringBuilder();
        for (var line = 0; line < 540; line++) body.Append(new string((char)('a' + line % 26), 74)).Append("\r\n"); // 40 KiB

        foreach (var domain in domains)
            for (var n = 0; n < 2; n++)
                TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, [$"user{n}@{domain}"], body: body.ToString()));
        await world.WaitForLogAsync(l => l.Contains("dsn=4.4.5, status=deferred") && l.Contains("max-content-in-flight"),
            "a delivery deferred for want of content budget");
        Assert.Equal(1, world.ExampleCom.HeldReplies);
        world.ExampleCom.ReleaseReplies();

        Assert.Equal(6, (await world.ExampleCom.WaitForMessagesAsync(6, TimeSpan.FromSeconds(60))).Count);
        Assert.Equal(1, world.ExampleCom.MostHeldAtOnce);
        Assert.Empty(world.SenderMx.Messages); // nothing bounced
    }
}
