using System.Diagnostics;
using Tunnel.Tests.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Tunnel.Tests.Cluster;

/// <summary>
/// Issue 12's fault test "a graceful leave while mail is delivered to a slow MX". Three nodes on
/// PostgreSQL; the next hops take 3 s to answer the end of DATA, so deliveries are in flight. 30
/// messages for six domains are accepted through all three nodes; then the node hosting the most
/// domain queues is asked to leave (`tunnel cluster leave`, a rolling upgrade) while their
/// deliveries are under way. Its attempts are cut off, its queues restart on the other nodes,
/// and every message that got 250 is delivered at least once (duplicates, from attempts the MX
/// finished but the leaving node never heard the end of, are printed). Each domain's queue then
/// delivers a new message (not frozen).
/// <para>
/// On main at 396ae85 this passes (measured in 3 runs): a graceful leave of a node whose queues
/// have persisted their messages loses nothing. It guards the new queue core against a
/// regression in the handoff of in-flight attempts.
/// </para>
/// </summary>
public sealed class GracefulLeaveWithSlowMx(ITestOutputHelper output)
{
    private const int Messages = 30;
    private const int DomainCount = 6;
    private static readonly TimeSpan SlowReply = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Every_accepted_message_is_delivered_when_a_node_leaves_in_the_middle_of_slow_deliveries()
    {
        await using var cluster = await ClusterHarness.StartAsync(nodes: 3, domains: DomainCount, extraSettings: "smtp.drain-timeout = 20s");
        var tally = new FaultTally("graceful leave with a slow MX");
        var clock = Stopwatch.StartNew();

        // Every domain's queue runs before the load (the first message of a domain may get 451
        // while its shard is allocated; a client sends again).
        foreach (var domain in cluster.Domains)
            tally.Accepted($"first-{domain}", await ClusterHarness.SendUntilAcceptedAsync(cluster.Smtp(1), $"first@{domain}", $"first-{domain}",
                TimeSpan.FromMinutes(1), $"mail for {domain} to be accepted"));
        cluster.SinkV6.DataReplyDelay = cluster.SinkV4.DataReplyDelay = SlowReply;

        var hosts = await cluster.QueueHostsAsync(via: 1);
        var leaver = hosts.Values.GroupBy(n => n).OrderByDescending(g => g.Count()).First().Key;
        var stayers = Enumerable.Range(1, 3).Where(n => n != leaver).ToList();
        output.WriteLine($"queues: {string.Join(", ", hosts.OrderBy(h => h.Key).Select(h => $"{h.Key} on node {h.Value}"))}; node {leaver} leaves");

        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 6).Select(async worker =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < Messages)
            {
                var tag = $"m{n}";
                tally.Replied(tag, await ClusterHarness.SendForReplyAsync(cluster.Smtp(1 + n % 3), $"user{n}@{cluster.Domains[n % DomainCount]}", tag));
            }
        }));
        output.WriteLine($"{tally.AcceptedTags.Count} accepted at {clock.Elapsed.TotalSeconds:0.0} s");

        // The leave starts while deliveries are held at the slow MX (some of them the leaver's:
        // it hosts the most queues).
        await Eventually.Until(() => cluster.SinkV6.HeldReplies + cluster.SinkV4.HeldReplies >= Messages / 3, TimeSpan.FromSeconds(30),
            "deliveries to be in flight at the slow MX");
        output.WriteLine($"node {leaver} asked to leave at {clock.Elapsed.TotalSeconds:0.0} s with " +
                         $"{cluster.SinkV6.HeldReplies + cluster.SinkV4.HeldReplies} deliveries in flight, {Sent(cluster.Node(leaver))} done there so far");
        await cluster.LeaveAsync(leaver, via: stayers[0]);
        Assert.Equal(0, await cluster.Node(leaver).ExitedAsync(TimeSpan.FromMinutes(1)));
        output.WriteLine($"node {leaver} exited 0 at {clock.Elapsed.TotalSeconds:0.0} s, after {Sent(cluster.Node(leaver))} delivery(ies) there");
        await cluster.ForgetAsync(leaver);

        await Eventually.Within(() => tally.AcceptedTags.All(cluster.Delivered.Select(ClusterHarness.TagOf).ToHashSet().Contains),
            TimeSpan.FromMinutes(2));
        output.WriteLine($"deliveries settled at {clock.Elapsed.TotalSeconds:0.0} s");

        // Not frozen: each domain's queue, wherever it lives now, delivers a new message.
        cluster.SinkV6.DataReplyDelay = cluster.SinkV4.DataReplyDelay = TimeSpan.Zero;
        foreach (var domain in cluster.Domains)
            await ClusterHarness.SendUntilAcceptedAsync(cluster.Smtp(stayers[1]), $"probe@{domain}", $"probe-{domain}", TimeSpan.FromSeconds(30),
                $"a probe for {domain} to be accepted");
        await Eventually.Within(() => cluster.Domains.All(d => cluster.Delivered.Any(m => ClusterHarness.TagOf(m) == $"probe-{d}")),
            TimeSpan.FromSeconds(30));
        foreach (var domain in cluster.Domains)
            tally.Probed(domain, cluster.Delivered.Any(m => ClusterHarness.TagOf(m) == $"probe-{domain}"));

        var figures = tally.Count(cluster.Delivered.Select(ClusterHarness.TagOf));
        output.WriteLine(figures.ToString() + $"; done at {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(0, figures.Lost);
        Assert.Equal(0, figures.Frozen);
    }

    private static int Sent(NodeProcess node) => node.Output.Count(l => l.Contains(": to=<") && l.Contains("status=sent"));
}
