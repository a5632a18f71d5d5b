using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Cluster;

/// <summary>
/// Two node processes on one PostgreSQL; mail for eight domains waits (their servers answer 451
/// for tempfail@). Whichever node the operator asks, `tunnel shards` and `tunnel queue …` see the
/// domain queues of both nodes: the shard regions are asked over remoting, each queue through
/// its shard; a message shown, deleted or retried from one node lives on the other.
/// </summary>
public sealed class QueueViewsSpanTheCluster
{
    [Fact]
    public async Task Every_command_reaches_the_queues_of_every_node()
    {
        await using var cluster = await ClusterHarness.StartAsync(nodes: 2, domains: 8, extraSettings: "queue.retry { first = 1h, max = 1h }");
        var ids = new Dictionary<string, string>();
        foreach (var domain in cluster.Domains)
            ids[domain] = await ClusterHarness.SendUntilAcceptedAsync(cluster.Smtp(1), $"tempfail@{domain}", domain,
                TimeSpan.FromSeconds(60), $"mail for {domain} to be accepted");
        await Eventually.Until(() => ids.Values.All(id => cluster.Nodes.OfType<NodeProcess>().SelectMany(n => n.Output)
                .Any(l => l.Contains($"{id}: to=<tempfail@") && l.Contains("status=deferred"))),
            TimeSpan.FromSeconds(60), "every message to be deferred once");
        var (one, two) = (cluster.Node(1).Admin!, cluster.Node(2).Admin!);

        var shards = (await Cli.RunAsync("shards", "--node", one, "--json")).Json;
        var regions = shards.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(2, regions.Count);
        Assert.All(regions, r => Assert.NotEmpty(r.GetProperty("shards").EnumerateArray()));
        Assert.Equal(cluster.Domains.Order(), regions.SelectMany(r => r.GetProperty("shards").EnumerateArray())
            .SelectMany(s => s.GetProperty("domains").EnumerateArray()).Select(d => d.GetString()!).Order());
        var table = await Cli.RunAsync("shards", "--node", two);
        Assert.Matches(@"^NODE +SHARD +DOMAINS\n", table.Output);

        var list = (await Cli.RunAsync("queue", "list", "--node", two, "--json")).Json;
        Assert.Equal(8, list.GetProperty("total").GetInt32());
        Assert.Empty(list.GetProperty("unanswered").EnumerateArray());
        var messages = list.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(2, messages.Select(m => m.GetProperty("node").GetString()).Distinct().Count());
        Assert.Equal(ids.Values.Order(), messages.Select(m => m.GetProperty("id").GetString()!).Order());

        var stats = await Cli.RunAsync("queue", "stats", "--node", one);
        Assert.EndsWith("8 message(s) in 8 domain(s)\n", stats.Output);

        // A message whose queue lives on node 1, handled through node 2 (and the reverse).
        var onOne = messages.First(m => m.GetProperty("node").GetString() == regions[0].GetProperty("node").GetString());
        var asker = onOne.GetProperty("node").GetString() == ClusterNode(cluster, 1) ? two : one;
        var id = onOne.GetProperty("id").GetString()!;
        var show = await Cli.RunAsync("queue", "show", id, "--node", asker, "--json");
        Assert.Equal(0, show.Code);
        Assert.Equal(onOne.GetProperty("node").GetString(), show.Json.GetProperty("domains")[0].GetProperty("node").GetString());
        Assert.Equal(0, (await Cli.RunAsync("queue", "delete", id, "--node", asker)).Code);
        await Eventually.Until(async () => (await Cli.RunAsync("queue", "list", "--node", asker, "--json")).Json.GetProperty("total").GetInt32() == 7,
            TimeSpan.FromSeconds(30), "the deleted message to leave its queue");

        var retry = (await Cli.RunAsync("queue", "retry", "--all", "--node", one, "--json")).Json;
        Assert.Equal(7, retry.GetProperty("messages").GetInt32());
    }

    /// <summary>The cluster address of node i as the admin API writes it ("127.0.0.1:port").</summary>
    private static string ClusterNode(ClusterHarness cluster, int node) =>
        cluster.Node(node).Output.First(l => l.Contains("up as akka.tcp://tunnel@")).Split("akka.tcp://tunnel@")[1].Trim();
}
