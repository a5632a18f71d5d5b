using System.Net;
using Tunnel.Cluster.Queue;
using Tunnel.Messages.Mail;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 15: "the split can also grow automatically with the backlog". example.org is one queue
/// with one attempt slot, and its server holds every reply, so mail piles up behind the first
/// message. With split-growth on (a backlog of more than one due message per slot for 2 s; the
/// production rule, 10 per slot for 5 minutes, is SplitGrowthTests'), the node grows the split to
/// two sub-queues, new mail goes to the second one too, and when the server answers again every
/// message is delivered once, from whichever sub-queue holds it.
/// </summary>
public sealed class SplitGrowsWithTheBacklog
{
    [Fact]
    public async Task A_lasting_backlog_doubles_the_split_and_new_mail_uses_the_new_sub_queue()
    {
        SinkMx? exampleOrg = null;
        await using var world = await TunnelWorld.StartAsync(settings: """
            queue.concurrency-per-domain = 1
            queue.split-growth { enabled = on, backlog-per-slot = 1, after = 2s }
            """, zone: (zone, port) =>
        {
            exampleOrg = SinkMx.Start(new IPEndPoint(IPAddress.Parse("127.0.0.16"), port));
            zone.Mx("example.org", 10, "mx.example.org").A("mx.example.org", "127.0.0.16");
        });
        await using var _ = exampleOrg!;
        exampleOrg!.HoldReplies();
        var node = world.Tunnel.Admin;

        // One message in its transaction, four waiting behind it: a backlog for one slot.
        var sent = new List<string>();
        for (var i = 0; i < 5; i++)
            sent.Add(TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, [$"user{i}@example.org"])));
        await Eventually.Until(() => exampleOrg.HeldReplies >= 1, TimeSpan.FromSeconds(30), "the first transaction at the server");
        await world.WaitForLogAsync(l => l.Contains("example.org: 2 sub-queue(s) for new mail (more than 1 due messages per attempt slot waiting"),
            "the split to grow to two");

        // New mail now goes over two sub-queues: send until one is held by the second.
        string? inSecond = null;
        for (var i = 5; i < 40 && inSecond is null; i++)
        {
            var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, [$"user{i}@example.org"]));
            sent.Add(id);
            if (QueueSplit.Part(new MessageId(id), 2) != 1) continue;
            await Eventually.Until(async () => await QueueOfAsync(node, id) is not null, TimeSpan.FromSeconds(30), $"{id} to be queued");
            if (await QueueOfAsync(node, id) == "example.org#1") inSecond = id;
        }
        Assert.NotNull(inSecond);

        exampleOrg.ReleaseReplies();
        var received = await exampleOrg.WaitForMessagesAsync(sent.Count, TimeSpan.FromSeconds(60));
        Assert.Equal(Enumerable.Range(0, sent.Count).Select(i => $"user{i}@example.org").Order(),
            received.SelectMany(m => m.Recipients).Order());
        foreach (var id in sent) await world.WaitForLogAsync(l => l.Contains($"{id}: removed from example.org queue"), $"{id} to leave its queue");
    }

    private static async Task<string?> QueueOfAsync(string? node, string id) =>
        (await Cli.RunAsync("queue", "list", "--sub-queues", "--node", node!, "--json")).Json.GetProperty("messages").EnumerateArray()
            .Where(m => m.GetProperty("id").GetString() == id).Select(m => m.GetProperty("queue").GetString()).FirstOrDefault();
}
