using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// A node that reaches IPv4 only (tunnel.outbound.families) cannot deliver to an IPv6-only
/// server: it never tries, and the mail waits with a status that says exactly why (4.4.4).
/// </summary>
public sealed class Ipv6OnlyDestinationFromIpv4OnlyNode
{
    [Fact]
    public async Task Mail_for_an_IPv6_only_MX_waits_as_unreachable()
    {
        await using var world = await TunnelWorld.StartAsync("outbound.families = [\"ipv4\"]");
        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));

        await world.WaitForLogAsync(l => l.Contains($"{id}: to=<user@example.com>") && l.Contains("dsn=4.4.4, status=deferred"), "the deferral");
        var line = world.LogLine(l => l.Contains($"{id}: to=<user@example.com>"));
        Assert.Contains("no MX address of example.com is reachable from this node", line);
        Assert.Contains("this node reaches IPv4", line);
        Assert.Equal(0, world.ExampleCom.ConnectionCount);
    }
}
