using System.Net;
using System.Net.Sockets;
using Tunnel.Tests.Integration;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Cluster;

/// <summary>
/// Two real `tunnel` processes; B crashes (SIGKILL). The operator sees it unreachable in
/// `tunnel cluster show` and downs it with `tunnel cluster down` instead of waiting for the
/// split-brain resolver: the cluster is A alone again, as `cluster show --json` says.
/// </summary>
public sealed class OperatorDownsACrashedNode : IAsyncLifetime
{
    private readonly ProcessNodes _nodes = new("tunnel-down-");

    [Fact]
    public async Task An_unreachable_member_is_downed_and_removed()
    {
        await using var dns = await TestDnsServer.StartAsync();
        var (portA, portB) = (FreePorts.Next(), FreePorts.Next());
        var a = await _nodes.StartAsync(await _nodes.ConfigAsync("a", dns, portA, portA));
        var b = await _nodes.StartAsync(await _nodes.ConfigAsync("b", dns, portB, portA));
        await Eventually.Until(async () => (await Cli.RunAsync("cluster", "show", "--node", a.Admin!, "--json")).Json
            .GetProperty("members").GetArrayLength() == 2, TimeSpan.FromSeconds(60), "B to join A");

        await b.KillAsync();
        await Eventually.Until(async () => (await Cli.RunAsync("cluster", "show", "--node", a.Admin!)).Output
            .Split('\n').Any(l => l.StartsWith($"127.0.0.1:{portB} ") && l.Contains(" NO ")), TimeSpan.FromSeconds(30), "B unreachable in the table");

        var down = await Cli.RunAsync("cluster", "down", $"127.0.0.1:{portB}", "--node", a.Admin!);
        Assert.True(down.Code == 0, down.ToString());
        Assert.Equal($"127.0.0.1:{portB} marked down; its shards start on the remaining members\n", down.Output);

        await Eventually.Until(async () => (await Cli.RunAsync("cluster", "show", "--node", a.Admin!, "--json")).Json
            .GetProperty("members").GetArrayLength() == 1, TimeSpan.FromSeconds(30), "B removed");
        var json = (await Cli.RunAsync("cluster", "show", "--node", a.Admin!, "--json")).Json;
        Assert.Equal($"127.0.0.1:{portA}", json.GetProperty("leader").GetString());
        Assert.Equal("Up", json.GetProperty("members")[0].GetProperty("status").GetString());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _nodes.DisposeAsync().AsTask();
}
