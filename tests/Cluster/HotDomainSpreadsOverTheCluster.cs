using Tunnel.Cluster.Queue;
using Tunnel.Messages.Mail;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Cluster;

/// <summary>
/// Issue 15: a hot destination uses the whole cluster. Three node processes on one PostgreSQL,
/// <c>d0.example</c> split in three sub-queues. Its sub-queues run on three different nodes,
/// each delivers from its own node, every message arrives exactly once, and the operator sees
/// the domain as one line of <c>tunnel queue stats</c> (its sub-queues with --sub-queues, and in
/// <c>tunnel shards</c>). Without the split the domain is one queue on one node.
/// </summary>
public sealed class HotDomainSpreadsOverTheCluster
{
    private const string Domain = "d0.example";

    [Fact]
    public async Task A_split_domain_delivers_from_every_node_and_each_message_once()
    {
        await using var cluster = await ClusterHarness.StartAsync(nodes: 3, domains: 1, extraSettings: $$"""
            queue.split { "{{Domain}}" = 3 }
            queue.retry { first = 1h, max = 1h }
            """);
        var timeout = TimeSpan.FromSeconds(60);

        // Mail that waits (the server answers 451 to tempfail@), until every sub-queue holds some.
        var waiting = new List<string>();
        for (var i = 0; i < 40 && waiting.Select(id => QueueSplit.Part(new MessageId(id), 3)).Distinct().Count() < 3; i++)
            waiting.Add(await ClusterHarness.SendUntilAcceptedAsync(cluster.Smtp(1 + i % 3), $"tempfail@{Domain}", $"wait-{i}", timeout, "waiting mail"));
        Assert.Equal(3, waiting.Select(id => QueueSplit.Part(new MessageId(id), 3)).Distinct().Count());
        await Eventually.Until(() => waiting.All(id => AllOutput(cluster).Any(l => l.Contains($"{id}: to=<tempfail@") && l.Contains("status=deferred"))),
            timeout, "every waiting message to be deferred once");

        // Three sub-queues, on three nodes.
        var hosts = await cluster.QueueHostsAsync(via: 2);
        Assert.Equal([Domain, $"{Domain}#1", $"{Domain}#2"], hosts.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3, hosts.Values.Distinct().Count());

        // The operator's view: one line for the domain; its sub-queues on request.
        var admin = cluster.Node(3).Admin!;
        var stats = (await Cli.RunAsync("queue", "stats", "--node", admin, "--json")).Json.GetProperty("domains").EnumerateArray().ToList();
        var line = Assert.Single(stats);
        Assert.Equal((Domain, waiting.Count, 3, 3), (line.GetProperty("domain").GetString(), line.GetProperty("messages").GetInt32(),
            line.GetProperty("queues").GetInt32(), line.GetProperty("node").GetString()!.Split(',').Length));
        Assert.EndsWith($"{waiting.Count} message(s) in 1 domain(s)\n", (await Cli.RunAsync("queue", "stats", "--node", admin)).Output);
        var parts = (await Cli.RunAsync("queue", "stats", "--sub-queues", "--node", admin, "--json")).Json.GetProperty("domains").EnumerateArray()
            .ToDictionary(d => d.GetProperty("domain").GetString()!, d => d.GetProperty("messages").GetInt32());
        Assert.Equal(Enumerable.Range(0, 3).ToDictionary(p => p == 0 ? Domain : $"{Domain}#{p}",
            p => waiting.Count(id => QueueSplit.Part(new MessageId(id), 3) == p)), parts);
        var list = (await Cli.RunAsync("queue", "list", "--sub-queues", "--node", admin)).Output;
        Assert.Contains($"{Domain}#2", list);

        // Mail that goes: each message exactly once, each sub-queue from its own node.
        var sent = new List<string>();
        for (var i = 0; i < 30; i++)
            sent.Add(await ClusterHarness.SendUntilAcceptedAsync(cluster.Smtp(1 + i % 3), $"user{i}@{Domain}", $"hot-{i}", timeout, "mail to deliver"));
        await Eventually.Until(() => sent.All(id => AllOutput(cluster).Any(l => l.Contains($"{id}: removed from {Domain} queue"))),
            timeout, "every message to be delivered and leave its queue");
        var tags = cluster.Delivered.Select(ClusterHarness.TagOf).Where(t => t.StartsWith("hot-")).ToList();
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"hot-{i}").Order(), tags.Order());

        var queueOfPart = new[] { Domain, $"{Domain}#1", $"{Domain}#2" };
        var expectedSenders = sent.Select(id => hosts[queueOfPart[QueueSplit.Part(new MessageId(id), 3)]]).Distinct().Order();
        var senders = Enumerable.Range(1, 3).Where(n => sent.Any(id => cluster.Node(n).Output.Any(l => l.Contains($"{id}: to=<") && l.Contains("status=sent"))));
        Assert.Equal(expectedSenders, senders);
        Assert.True(senders.Count() >= 2, "a split domain delivers from more than one node");

        // The spread on /metrics: one sub-queue on each node, and the sent mail counted where it left.
        var scraped = new List<Dictionary<string, double>>();
        foreach (var n in Enumerable.Range(1, 3))
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://{cluster.Node(n).Admin}/") };
            scraped.Add(Integration.MetricsCountWhatHappened.Parse(await http.GetStringAsync("metrics")));
        }
        Assert.All(scraped, m => Assert.Equal(1, m[$"tunnel_destination_sub_queues{{domain=\"{Domain}\"}}"]));
        Assert.Equal(sent.Count, scraped.Sum(m => m.GetValueOrDefault($"tunnel_destination_deliveries_total{{domain=\"{Domain}\",status=\"sent\"}}")));
        Assert.Equal(senders.Count(), scraped.Count(m => m.GetValueOrDefault($"tunnel_destination_deliveries_total{{domain=\"{Domain}\",status=\"sent\"}}") > 0));
    }

    private static IEnumerable<string> AllOutput(ClusterHarness cluster) => cluster.Nodes.OfType<NodeProcess>().SelectMany(n => n.Output);
}
