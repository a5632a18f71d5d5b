using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>A message from the null sender that fails is logged and dropped, never bounced (RFC 5321 §4.5.5).</summary>
public sealed class BounceIsNeverBounced
{
    [Fact]
    public async Task A_failed_message_from_the_null_sender_produces_no_DSN()
    {
        await using var world = await TunnelWorld.StartAsync();
        var id = TunnelWorld.QueueId(await world.SendAsync(null, ["permfail@example.com"]));

        await world.WaitForLogAsync(l => l.Contains($"{id}: no bounce: the sender is <>"), "the no-bounce line");
        await world.WaitForLogAsync(l => l.Contains($"{id}: removed from example.com queue"), "the message to leave the queue");
        Assert.Empty(world.SenderMx.Messages);
        Assert.Equal(0, world.SenderMx.ConnectionCount);
    }
}
