using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// The only MX of a domain is this tunnel: delivering would loop, so the mail fails with 5.4.6
/// "loops back to myself" (Postfix's words and rule) and is bounced, and no connection is made.
/// </summary>
public sealed class AllOursLoops
{
    [Fact]
    public async Task Mail_whose_MX_is_only_ourselves_fails_as_a_loop()
    {
        await using var world = await TunnelWorld.StartAsync("relay.domains = [\"example.com\", \"loop.example\"]",
            zone: (zone, _) => zone.Mx("loop.example", 10, "mx.loop.example").A("mx.loop.example", TunnelWorld.TunnelV4));
        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@loop.example"]));

        await world.WaitForLogAsync(l => l.Contains($"{id}: to=<user@loop.example>") && l.Contains("dsn=5.4.6, status=bounced")
                                         && l.Contains("mail for loop.example loops back to myself"), "the loop verdict");
        var (_, dsn) = await world.WaitForDsnAsync();
        Assert.Equal("5.4.6", dsn.BodyParts.OfType<MimeKit.MessageDeliveryStatus>().Single().StatusGroups[1]["Status"]);
    }
}
