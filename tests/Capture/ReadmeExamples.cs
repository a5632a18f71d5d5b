using System.Net;
using Tunnel.Tests.Cluster;
using Tunnel.Tests.Integration;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Capture;

public sealed class ReadmeExamples
{
    private const string Out = "/tmp/wt-ops/readme";

    [Fact]
    public async Task Capture_cluster()
    {
        Directory.CreateDirectory(Out);
        await using var cluster = await ClusterHarness.StartAsync(nodes: 3, domains: 4, extraSettings: "queue.retry { first = 10m, max = 70m }");
        var ids = new List<string>();
        ids.Add((await ClusterHarness.TrySendAsync(cluster.Smtp(1), "tempfail@d0.example", "a"))!);
        ids.Add((await ClusterHarness.TrySendAsync(cluster.Smtp(2), "tempfail@d1.example", "b"))!);
        ids.Add((await ClusterHarness.TrySendAsync(cluster.Smtp(3), "tempfail@d2.example", "c"))!);
        ids.Add((await ClusterHarness.TrySendAsync(cluster.Smtp(1), "user@d3.example", "d"))!);
        await Eventually.Until(() => ids.Take(3).All(id => cluster.Nodes.OfType<NodeProcess>().SelectMany(n => n.Output)
            .Any(l => l.Contains($"{id}: to=<") && l.Contains("status=deferred"))), TimeSpan.FromSeconds(60), "deferred");
        var node = cluster.Node(1).Admin!;
        var log = new List<string>();
        async Task Run(params string[] args)
        {
            var r = await Cli.RunAsync(args);
            log.Add($"$ tunnel {string.Join(' ', args)}\n{r.Output}{r.Error}[exit {r.Code}]\n");
        }
        await Run("cluster", "show", "--node", node);
        await Run("cluster", "show", "--node", node, "--json");
        await Run("shards", "--node", node);
        await Run("queue", "list", "--node", node);
        await Run("queue", "list", "--node", node, "--json", "--limit", "1");
        await Run("queue", "show", ids[0], "--node", node);
        await Run("queue", "stats", "--node", node);
        await Run("queue", "retry", "--domain", "d1.example", "--node", node);
        await Run("queue", "delete", ids[2], "--bounce", "--node", node);
        await Run("queue", "show", "01M8XXXXXXXXXXXXXXXX", "--node", node);
        using var http = new HttpClient();
        log.Add("$ curl http://" + node + "/health/ready\n" + await http.GetStringAsync($"http://{node}/health/ready") + "\n");
        var metrics = await http.GetStringAsync($"http://{cluster.Node(1).Admin}/metrics");
        log.Add("$ curl http://" + node + "/metrics\n" + metrics);
        await File.WriteAllLinesAsync($"{Out}/cluster.txt", log);
        await File.WriteAllLinesAsync($"{Out}/node1.log", cluster.Node(1).Output);
        await File.WriteAllLinesAsync($"{Out}/node2.log", cluster.Node(2).Output);
        await File.WriteAllLinesAsync($"{Out}/node3.log", cluster.Node(3).Output);
        using var stop = new CancellationTokenSource();
        var tail = new MailLogRecorder();
        var task = Cli.RunAsync(tail, new StringWriter(), stop.Token, "cluster", "tail", "--node", node);
        await Eventually.Until(() => tail.Lines.Count(l => l.Contains("MemberUp")) == 3, TimeSpan.FromSeconds(20), "tail");
        var leave = await Cli.RunAsync("cluster", "leave", ClusterHarness.Address(3) is var _ ? cluster.Node(3).Output.First(l => l.Contains("up as akka.tcp://tunnel@")).Split("akka.tcp://tunnel@")[1].Trim() : "", "--node", node);
        await Eventually.Until(() => tail.Lines.Any(l => l.Contains("MemberRemoved")), TimeSpan.FromSeconds(60), "removed");
        stop.Cancel();
        await task;
        await File.WriteAllLinesAsync($"{Out}/tail.txt", [leave.Output, .. tail.Lines]);
    }
}
