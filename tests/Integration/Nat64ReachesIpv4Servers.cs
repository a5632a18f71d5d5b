using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// A node without IPv4 reaches an IPv4-only server through NAT64 (RFC 6052), its prefix
/// discovered from ipv4only.arpa (RFC 7050). Loopback has no NAT64 gateway, so the test uses the
/// prefix ::/96: the IPv4 address 0.0.0.1 is synthesised to ::1, where the sink listens. The
/// tunnel can only reach the sink by synthesising: it never connects over IPv4.
/// </summary>
public sealed class Nat64ReachesIpv4Servers
{
    [Fact]
    public async Task An_IPv4_only_MX_is_reached_at_its_synthesised_IPv6_address()
    {
        await using var world = await TunnelWorld.StartAsync(
            "outbound.families = [\"ipv6\"]\noutbound.nat64-prefix = auto\nrelay.domains = [\"example.com\", \"v4only.example\"]",
            zone: (zone, _) => zone
                .Aaaa("ipv4only.arpa", "::c000:aa")   // RFC 7050 §2.2: 192.0.0.170 under the prefix ::/96
                .Mx("v4only.example", 10, "mx.v4only.example").A("mx.v4only.example", "0.0.0.1"));
        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@v4only.example"]));

        var received = Assert.Single(await world.ExampleCom.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal(["user@v4only.example"], received.Recipients);
        await world.WaitForLogAsync(l => l.Contains($"{id}: to=<user@v4only.example>, relay=mx.v4only.example[::1]") && l.Contains("status=sent"),
            "delivery through the synthesised address");
    }
}
