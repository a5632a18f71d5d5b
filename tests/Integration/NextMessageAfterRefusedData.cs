using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 13, item 2, end to end: example.com's server refuses one message's DATA (554, no 354)
/// and keeps that transaction open. The refused message bounces, as it should; the next message
/// for the same server, on the cached connection, is delivered.
/// On main (2b21272) the connection went back to the cache without RSET: the next message's MAIL
/// got "503 5.5.1 Nested MAIL command" and that unrelated message bounced too (status=bounced,
/// dsn=5.5.1).
/// </summary>
public sealed class NextMessageAfterRefusedData
{
    [Fact]
    public async Task An_unrelated_message_is_delivered_not_bounced()
    {
        await using var world = await TunnelWorld.StartAsync("outbound.connection-cache-time = 1m");

        var refused = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["nodata@example.com"]));
        await world.WaitForLogAsync(l => l.Contains($"{refused}: to=<nodata@example.com>") && l.Contains("status=bounced"), "the refused message bounced");
        var next = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));
        await world.WaitForLogAsync(l => l.Contains($"{next}: to=<user@example.com>") && !l.Contains("status=deferred"), "the next message's verdict");

        Assert.Contains("status=sent", world.LogLine(l => l.Contains($"{next}: to=<user@example.com>")));
        Assert.Equal(["user@example.com"], Assert.Single(world.ExampleCom.Messages).Recipients);
        Assert.Equal(1, world.ExampleCom.ConnectionCount); // the same connection, after RSET
        await world.WaitForDsnAsync();
        Assert.Single(world.SenderMx.Messages); // one DSN: the refused message's
    }
}
