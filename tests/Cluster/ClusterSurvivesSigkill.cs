using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Tunnel.Tests.Cluster;

/// <summary>
/// The crash test: three node processes on one PostgreSQL, 2,000 messages for 50
/// domains through randomly chosen nodes over several connections, one node SIGKILLed in the
/// middle. Every message that got 250 is delivered at least once; duplicates are counted and
/// bounded by what was in flight at the kill; the survivors own every domain afterwards. Also:
/// a node SIGKILLed while receiving DATA never said 250, and nothing of that transaction arrives.
/// </summary>
public sealed class ClusterSurvivesSigkill(ITestOutputHelper output)
{
    private const int Messages = 2000;
    private const int Domains = 50;
    private const int Connections = 6;

    [Fact]
    public async Task No_accepted_message_is_lost_when_a_node_is_killed()
    {
        await using var cluster = await ClusterHarness.StartAsync(nodes: 3, domains: Domains);
        var accepted = new ConcurrentDictionary<string, string>(); // tag → queue id
        var alive = new ConcurrentDictionary<int, bool>(new Dictionary<int, bool> { [1] = true, [2] = true, [3] = true });
        var next = -1;
        var killAt = Messages / 2;
        var killed = new TaskCompletionSource<(int InFlight, TimeSpan At)>();
        var clock = Stopwatch.StartNew();
        const int victim = 2;

        async Task Sender(int worker)
        {
            var random = new Random(worker);
            int n;
            while ((n = Interlocked.Increment(ref next)) < Messages)
            {
                var tag = $"m{n}";
                var to = $"user{n}@{cluster.Domains[n % Domains]}";
                for (var attempt = 0; attempt < 10 && !accepted.ContainsKey(tag); attempt++)
                {
                    var nodes = alive.Where(a => a.Value).Select(a => a.Key).ToList();
                    var node = nodes[random.Next(nodes.Count)];
                    IPEndPointOrNull(cluster, node, out var endpoint);
                    if (endpoint is null) continue;
                    if (await ClusterHarness.TrySendAsync(endpoint, to, tag) is { } id) accepted[tag] = id;
                }
                if (n == killAt)
                {
                    alive[victim] = false;
                    // What a crash can make happen twice: messages whose queue has not yet
                    // recorded them as finished (delivered maybe, but not known to be), and the
                    // transactions that may be under way on the killed node (the client never
                    // sees its 250 and sends again elsewhere).
                    var finished = cluster.Nodes.OfType<NodeProcess>().SelectMany(node => node.Output)
                        .Where(line => line.Contains(": removed from ")).Select(line => line.Split(' ')[2].TrimEnd(':')).ToHashSet();
                    var inFlight = accepted.Values.Count(id => !finished.Contains(id)) + Connections;
                    await cluster.KillAsync(victim);
                    killed.SetResult((inFlight, clock.Elapsed));
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Connections).Select(Sender));
        var (inFlightAtKill, killTime) = await killed.Task;
        var injected = clock.Elapsed;

        var expected = accepted.Keys.ToHashSet();
        await Eventually.Until(() => expected.IsSubsetOf(cluster.Delivered.Select(ClusterHarness.TagOf)),
            TimeSpan.FromMinutes(4), $"all {expected.Count} accepted messages to be delivered");
        var drained = clock.Elapsed;

        // The survivors own every domain: one more message to each is delivered.
        for (var i = 0; i < cluster.Domains.Count; i++)
        {
            var (node, domain) = (i % 2 == 0 ? 1 : 3, cluster.Domains[i]);
            await ClusterHarness.SendUntilAcceptedAsync(cluster.Smtp(node), $"after@{domain}", $"after-{domain}",
                TimeSpan.FromMinutes(1), $"node {node} to accept mail for {domain}");
        }
        await Eventually.Until(() => cluster.Domains.All(d => cluster.Delivered.Any(m => ClusterHarness.TagOf(m) == $"after-{d}")),
            TimeSpan.FromMinutes(2), "a message to every domain after the kill");

        var counts = cluster.Delivered.Select(ClusterHarness.TagOf).Where(expected.Contains).GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        var duplicates = counts.Values.Sum(c => c - 1);
        var summary = $"cluster crash test: {expected.Count} accepted of {Messages}, {counts.Count} delivered, lost {expected.Count - counts.Count}, " +
                      $"duplicates {duplicates} (bound: {inFlightAtKill} unfinished or in transaction at the kill), node {victim} SIGKILLed at {killTime.TotalSeconds:0.0}s, " +
                      $"injection done at {injected.TotalSeconds:0.0}s, queue drained at {drained.TotalSeconds:0.0}s " +
                      $"({(drained - killTime).TotalSeconds:0.0}s after the kill)";
        output.WriteLine(summary);
        Console.WriteLine(summary);
        Assert.Equal(expected.Count, counts.Count);
        Assert.True(duplicates <= inFlightAtKill, $"{duplicates} duplicates but only {inFlightAtKill} messages were in flight at the kill");
        Assert.True(expected.Count >= Messages * 0.99, $"only {expected.Count} of {Messages} accepted");
    }

    [Fact]
    public async Task A_node_killed_during_DATA_never_said_250_and_delivers_nothing_of_it()
    {
        // Three nodes: with keep-majority two survivors of three stay up (one of two would not).
        await using var cluster = await ClusterHarness.StartAsync(nodes: 3, domains: 2);
        var (client, _) = await RawSmtpClient.OpenAsync(cluster.Smtp(2));
        await using (client)
        {
            await client.CommandAsync("EHLO client.example");
            await client.CommandAsync("MAIL FROM:<load@ip4only.example>");
            await client.CommandAsync("RCPT TO:<cut@d0.example>");
            Assert.StartsWith("354", await client.CommandAsync("DATA"));
            await client.SendAsync(Encoding.ASCII.GetBytes("Subject: cut\r\nX-Tag: cut-off\r\n\r\nhalf a messa"));
            await cluster.KillAsync(2);
            Assert.True(await client.IsClosedByServerAsync(), "the connection to the killed node is gone without a reply");
        }

        // The cluster goes on: once the dead node is downed, the survivors take its domains (until
        // then a message for one of them gets 451, and the client tries again, as MTAs do); a later
        // message arrives, the cut one never does.
        await ClusterHarness.SendUntilAcceptedAsync(cluster.Smtp(1), "later@d0.example", "later",
            TimeSpan.FromMinutes(2), "node 1 to accept mail for d0.example");
        await Eventually.Until(() => cluster.Delivered.Any(m => ClusterHarness.TagOf(m) == "later"), TimeSpan.FromMinutes(2), "the later message");
        Assert.DoesNotContain(cluster.Delivered, m => ClusterHarness.TagOf(m) == "cut-off");
    }

    private static void IPEndPointOrNull(ClusterHarness cluster, int node, out System.Net.IPEndPoint? endpoint) =>
        endpoint = cluster.Nodes[node - 1]?.SmtpEndpoints.SingleOrDefault(e => e.AddressFamily == AddressFamily.InterNetwork);
}
