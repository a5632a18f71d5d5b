using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>No MX record: the domain's own address is its mail server (implicit MX, RFC 5321 §5.1).</summary>
public sealed class ImplicitMx
{
    [Fact]
    public async Task A_domain_without_MX_is_delivered_to_its_own_address()
    {
        await using var world = await TunnelWorld.StartAsync("relay.domains = [\"example.com\", \"nomx.example\"]",
            zone: (zone, _) => zone.Aaaa("nomx.example", "::1"));
        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@nomx.example"]));

        var received = Assert.Single(await world.ExampleCom.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal(["user@nomx.example"], received.Recipients);
        await world.WaitForLogAsync(l => l.Contains($"{id}: to=<user@nomx.example>, relay=nomx.example[::1]") && l.Contains("status=sent"),
            "delivery to the implicit MX");
    }
}
