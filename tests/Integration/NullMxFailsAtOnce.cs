using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>A domain that publishes the null MX (RFC 7505) takes no mail: fail at once with 5.1.10, try nothing, bounce.</summary>
public sealed class NullMxFailsAtOnce
{
    [Fact]
    public async Task Mail_for_a_null_MX_domain_is_bounced_without_any_connection()
    {
        await using var world = await TunnelWorld.StartAsync("relay.domains = [\"example.com\", \"nomail.example\"]",
            zone: (zone, _) => zone.NullMx("nomail.example"));
        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@nomail.example"]));

        await world.WaitForLogAsync(l => l.Contains($"{id}: to=<user@nomail.example>, relay=none") && l.Contains("dsn=5.1.10, status=bounced"),
            "the null MX failure");
        var (_, dsn) = await world.WaitForDsnAsync();
        var status = dsn.BodyParts.OfType<MimeKit.MessageDeliveryStatus>().Single();
        Assert.Equal("5.1.10", status.StatusGroups[1]["Status"]);
        Assert.Equal(0, world.ExampleCom.ConnectionCount);
    }
}
