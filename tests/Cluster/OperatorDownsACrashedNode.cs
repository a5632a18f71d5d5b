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
    private readonly string _directory = Directory.CreateTempSubdirectory("tunnel-down-").FullName;
    private readonly List<NodeProcess> _nodes = [];

    [Fact]
    public async Task An_unreachable_member_is_downed_and_removed()
    {
        await using var dns = await TestDnsServer.StartAsync();
        var (portA, portB) = (FreePorts.Next(), FreePorts.Next());
        var a = await Start(await Config("a", dns, portA, portA));
        var b = await Start(await Config("b", dns, portB, portA));
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

    private async Task<string> Config(string name, TestDnsServer dns, int port, int seed)
    {
        var file = Path.Combine(_directory, $"{name}.hocon");
        await File.WriteAllTextAsync(file, TunnelHocon.For(dns, 25, listen: "\"127.0.0.1:0\"", ownAddresses: "\"127.0.0.1\"") + $$"""

            tunnel.storage.sqlite.path = "{{Path.Combine(_directory, name)}}"
            tunnel.cluster { hostname = "127.0.0.1", port = {{port}}, seeds = ["127.0.0.1:{{seed}}"] }
            """);
        return file;
    }

    private async Task<NodeProcess> Start(string config)
    {
        var node = await NodeProcess.StartAsync(config);
        _nodes.Add(node);
        return node;
    }


    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime, not IAsyncDisposable: xunit 2 never calls the latter on a test class, and
    // the node processes would outlive the test.
    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* temp directory */ }
    }
}
