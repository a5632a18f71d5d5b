using System.Net;
using System.Net.Sockets;
using Tunnel.Tests.Integration;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Cluster;

/// <summary>
/// Two real `tunnel` processes (SQLite each; no mail is sent). Node A starts first and waits for
/// its seed, node B: A is live but not ready. B comes up, A joins and turns ready. The operator
/// sees both with `tunnel cluster show`, follows `tunnel cluster tail` on B, and asks A to leave:
/// the tail shows A leaving and being removed, and A's process ends by itself, cleanly.
/// </summary>
public sealed class OperatorWatchesANodeJoinAndLeave : IAsyncLifetime
{
    private readonly ProcessNodes _nodes = new("tunnel-ops-");

    [Fact]
    public async Task Ready_after_joining_then_visible_in_show_and_tail_until_it_leaves()
    {
        await using var dns = await TestDnsServer.StartAsync();
        var (portA, portB) = (FreePorts.Next(), FreePorts.Next());
        var a = await _nodes.StartAsync(await _nodes.ConfigAsync("a", dns, portA, portB), untilAdmin: true);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{a.Admin}/") };

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health/live")).StatusCode);
        var notReady = await http.GetAsync("health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        var why = await notReady.Content.ReadAsStringAsync();
        Assert.Contains("not ready", why);
        Assert.Contains("not a cluster member yet (joining its seed nodes)", why);

        var b = await _nodes.StartAsync(await _nodes.ConfigAsync("b", dns, portB, portB), untilAdmin: false);
        await Eventually.Until(async () => (await http.GetAsync("health/ready")).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(90), "node A to join B and be ready");

        var show = await Cli.RunAsync("cluster", "show", "--node", b.Admin!);
        Assert.Equal(0, show.Code);
        var lines = show.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^ADDRESS +STATUS +REACHABLE +ROLES$", lines[0]);
        // Akka's leader is the Up member with the lowest address: here, the lower port.
        var leader = Math.Min(portA, portB);
        Assert.Contains(lines, l => l.StartsWith($"127.0.0.1:{portA} ") && l.Contains(" Up ") && l.Contains(" yes ")
                                    && l.Contains("leader") == (leader == portA) && !l.Contains("(this node)"));
        Assert.Contains(lines, l => l.StartsWith($"127.0.0.1:{portB} ") && l.Contains(" Up ") && l.EndsWith("(this node)")
                                    && l.Contains("leader") == (leader == portB));
        Assert.Equal($"2 member(s); leader 127.0.0.1:{leader}; this node 127.0.0.1:{portB}", lines[^1]);
        var json = (await Cli.RunAsync("cluster", "show", "--node", a.Admin!, "--json")).Json;
        Assert.Equal($"127.0.0.1:{portA}", json.GetProperty("self").GetString());
        Assert.Equal(2, json.GetProperty("members").GetArrayLength());

        using var stopTail = new CancellationTokenSource();
        var tailOutput = new MailLogRecorder();
        var tail = Cli.RunAsync(tailOutput, new StringWriter(), stopTail.Token, "cluster", "tail", "--node", b.Admin!);
        await Eventually.Until(() => tailOutput.Lines.Count(l => l.Contains("MemberUp")) == 2, TimeSpan.FromSeconds(30), "the current members in the tail");

        // A tail on the node that leaves ends by itself when that node stops (exit 69), never with a crash.
        var leaverError = new StringWriter();
        var leaverTail = Cli.RunAsync(new StringWriter(), leaverError, CancellationToken.None, "cluster", "tail", "--node", a.Admin!);

        var leave = await Cli.RunAsync("cluster", "leave", $"127.0.0.1:{portA}", "--node", b.Admin!);
        Assert.Equal(0, leave.Code);
        Assert.StartsWith($"127.0.0.1:{portA} asked to leave", leave.Output);
        await Eventually.Until(() => tailOutput.Lines.Any(l => l.Contains("MemberRemoved") && l.Contains($"127.0.0.1:{portA}")),
            TimeSpan.FromSeconds(60), "A's removal in the tail");
        Assert.Contains(tailOutput.Lines, l => l.Contains("MemberLeft") && l.Contains($"127.0.0.1:{portA}"));
        Assert.Equal(0, await a.ExitedAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(69, await leaverTail.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains($"the node at {a.Admin} closed the stream", leaverError.ToString());

        stopTail.Cancel();
        Assert.Equal(0, await tail);
        var unknown = await Cli.RunAsync("cluster", "down", "127.0.0.1:1", "--node", b.Admin!);
        Assert.Equal(1, unknown.Code);
        Assert.Contains("127.0.0.1:1 is not a member of this cluster", unknown.Error);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _nodes.DisposeAsync().AsTask();
}
