using System.Net;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// example.org's only server refuses connections: its mail is deferred and the destination is
/// marked down, so the queued messages wait together instead of each hammering it. When the
/// server comes back, the next probe gets through and every message is delivered.
/// </summary>
public sealed class DestinationDownThenBack
{
    [Fact]
    public async Task Deferred_mail_for_a_dead_destination_is_delivered_when_it_comes_back()
    {
        SinkMx? exampleOrg = null;
        await using var world = await TunnelWorld.StartAsync(zone: (zone, port) =>
        {
            exampleOrg = SinkMx.BindOnly(new IPEndPoint(IPAddress.Parse("127.0.0.6"), port)); // down: refused
            zone.Mx("example.org", 10, "mx.example.org").A("mx.example.org", "127.0.0.6");
        });
        await using var _ = exampleOrg!;

        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add(TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, [$"user{i}@example.org"])));
        await world.WaitForLogAsync(l => l.Contains("to=<user") && l.Contains("dsn=4.4.1, status=deferred") && l.Contains("ConnectionRefused"),
            "a refused connection deferred");
        await world.WaitForLogAsync(l => l.Contains("example.org: destination down"), "the destination marked down");

        exampleOrg!.Listen(); // back
        var received = await exampleOrg.WaitForMessagesAsync(3, TimeSpan.FromSeconds(60));
        Assert.Equal(["user0@example.org", "user1@example.org", "user2@example.org"],
            received.SelectMany(m => m.Recipients).Order());
        foreach (var id in ids)
            await world.WaitForLogAsync(l => l.Contains($"{id}: removed from example.org queue"), $"{id} to leave the queue");
        Assert.Equal(3, exampleOrg.Messages.Count);
        Assert.Empty(world.SenderMx.Messages); // nothing bounced
    }
}
