using Tunnel.Cluster.Queue;
using Tunnel.Messages.Mail;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Cluster;

/// <summary>
/// Issue 15: "an MX host is never hit by more connections than the per-destination-address limit
/// allows, counted across the cluster". Two node processes, a domain split in two (a sub-queue on
/// each node, each allowed 10 attempts and 20 connections of its own), and
/// <c>cluster-connections-per-address = 2</c>: each node takes a share of 1, so the MX never sees
/// more than 2 connections at once from the cluster although 12 attempts run; every message is
/// still delivered once. Without the cluster-wide limit the MX sees as many connections as there
/// are attempts.
/// </summary>
public sealed class ClusterWideConnectionLimit
{
    private const string Domain = "d0.example";

    [Fact]
    public async Task The_cluster_keeps_within_the_limit_per_address_and_delivers_everything()
    {
        await using var cluster = await ClusterHarness.StartAsync(nodes: 2, domains: 1, extraSettings: $$"""
            queue.split { "{{Domain}}" = 2 }
            outbound.cluster-connections-per-address = 2
            """);
        var timeout = TimeSpan.FromSeconds(60);
        foreach (var n in new[] { 1, 2 })
            await Eventually.Until(() => cluster.Node(n).Output.Any(l => l.Contains("Outbound: 1 connection(s) per next-hop address on this node")
                                                                       && l.Contains("over 2 member(s)")),
                timeout, $"node {n} to take its share of the cluster's limit");
        cluster.SinkV6.HoldReplies();

        // Twelve messages over both sub-queues (both parts get some).
        var sent = new List<string>();
        for (var i = 0; i < 12; i++)
            sent.Add(await ClusterHarness.SendUntilAcceptedAsync(cluster.Smtp(1 + i % 2), $"user{i}@{Domain}", $"limit-{i}", timeout, "mail"));
        Assert.Equal(2, sent.Select(id => QueueSplit.Part(new MessageId(id), 2)).Distinct().Count());

        // Every attempt started (the nodes' /metrics), two of them on the MX's two connections.
        await Eventually.Until(async () => await AttemptsAsync(cluster) == sent.Count, timeout, "all twelve attempts to run");
        await Eventually.Until(() => cluster.SinkV6.HeldReplies >= 2, timeout, "two transactions at the MX");
        Assert.Equal(2, cluster.SinkV6.HeldReplies);
        cluster.SinkV6.ReleaseReplies();

        await Eventually.Until(() => cluster.Delivered.Count(m => ClusterHarness.TagOf(m).StartsWith("limit-")) == sent.Count, timeout, "every message delivered");
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"limit-{i}").Order(),
            cluster.Delivered.Select(ClusterHarness.TagOf).Where(t => t.StartsWith("limit-")).Order());
        Assert.Equal(2, cluster.SinkV6.MostConnectionsAtOnce);
    }

    private static async Task<double> AttemptsAsync(ClusterHarness cluster)
    {
        var total = 0.0;
        foreach (var n in new[] { 1, 2 })
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://{cluster.Node(n).Admin}/") };
            total += Integration.MetricsCountWhatHappened.Parse(await http.GetStringAsync("metrics"))
                .GetValueOrDefault($"tunnel_destination_attempts{{domain=\"{Domain}\"}}");
        }
        return total;
    }
}
