using System.Net;
using Tunnel.Cluster.Queue;
using Tunnel.Messages.Mail;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 15, "what is shared stays shared: the destination-down state". example.org is split in
/// three sub-queues; its only server accepts connections and hangs up at once (no server
/// answers). The first message's sub-queue finds it down and tells the other two, which then
/// start no attempt of their own for the mail they get: the server sees no connection from them.
/// The server comes back; the operator retries the first message only, its probe gets through,
/// and the other two sub-queues deliver at once instead of waiting out their hour of backoff.
/// </summary>
public sealed class SubQueuesShareADownDestination
{
    private const int Parts = 3;

    [Fact]
    public async Task Sub_queues_wait_with_the_one_that_found_the_destination_down_and_go_when_its_probe_gets_through()
    {
        SinkMx? exampleOrg = null;
        await using var world = await TunnelWorld.StartAsync(settings: $$"""
            queue.split { "example.org" = {{Parts}} }
            queue.retry { first = 1h, max = 1h }
            """, zone: (zone, port) =>
        {
            exampleOrg = SinkMx.Start(new IPEndPoint(IPAddress.Parse("127.0.0.16"), port));
            exampleOrg.HangUpAtConnect = true; // down
            zone.Mx("example.org", 10, "mx.example.org").A("mx.example.org", "127.0.0.16");
        });
        await using var _ = exampleOrg!;
        var node = world.Tunnel.Admin;

        var first = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user0@example.org"]));
        var finder = Part(first);
        await world.WaitForLogAsync(l => l.Contains($"{first}: to=<user0@example.org>") && l.Contains("status=deferred"), "the first attempt deferred");
        await world.WaitForLogAsync(l => l.Contains("example.org: destination down"), "its sub-queue to find example.org down");
        var siblings = Enumerable.Range(0, Parts).Where(p => p != finder).ToList();
        foreach (var part in siblings)
            await world.WaitForLogAsync(l => l.Contains($"example.org sub-queue #{part}: destination down until")
                                             && l.Contains($"(reported by sub-queue #{finder})"), $"sub-queue #{part} to take the report of #{finder}");
        var connectionsWhileDown = exampleOrg!.ConnectionCount;
        Assert.True(connectionsWhileDown >= 1, "the first attempt connected");

        // Mail for the other sub-queues while it is down: they hold it and start nothing.
        var later = new List<string>();
        for (var i = 1; i < 40 && !siblings.All(p => later.Any(id => Part(id) == p)); i++)
            later.Add(TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, [$"user{i}@example.org"])));
        Assert.True(siblings.All(p => later.Any(id => Part(id) == p)), "mail for every other sub-queue");
        foreach (var id in later) await world.WaitForLogAsync(l => l.Contains($"{id}: queued for example.org"), $"{id} to be queued");
        await Eventually.Until(async () => (await Cli.RunAsync("queue", "list", "--sub-queues", "--node", node, "--json")).Json
                .GetProperty("messages").GetArrayLength() == 1 + later.Count,
            TimeSpan.FromSeconds(30), "every message to be held by its sub-queue");
        Assert.Equal(connectionsWhileDown, exampleOrg.ConnectionCount);

        // Back. Only the first message's sub-queue is told to try (its probe); the others follow it.
        exampleOrg.HangUpAtConnect = false;
        var retry = await Cli.RunAsync("queue", "retry", first, "--node", node);
        Assert.Equal(0, retry.Code);
        var received = await exampleOrg.WaitForMessagesAsync(1 + later.Count, TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 1 + later.Count).Select(i => $"user{i}@example.org").Order(),
            received.SelectMany(m => m.Recipients).Order());
        foreach (var part in siblings.Where(p => later.Any(id => Part(id) == p)))
            Assert.Contains(world.Tunnel.MailLog.Lines, l => l.Contains($"example.org sub-queue #{part}: destination reachable again")
                                                             && l.Contains($"(reported by sub-queue #{finder})"));
        // The mail of the other sub-queues was attempted once, when it went: never while the server was down.
        foreach (var id in later)
            Assert.DoesNotContain(world.Tunnel.MailLog.Lines, l => l.Contains($"{id}: to=<") && l.Contains("status=deferred"));
        Assert.Single(world.Tunnel.MailLog.Lines, l => l.Contains("status=deferred")); // the first message's first attempt
    }

    private static int Part(string id) => QueueSplit.Part(new MessageId(id), Parts);
}
