using System.Net;
using System.Net.Sockets;
using Tunnel.Tests.Integration;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Cluster;

/// <summary>
/// A node whose seed nodes never answer waits to join; an orchestrator that gives up on it sends
/// SIGTERM. The node must stop then (exit 0), not when its join times out minutes later: a pod
/// that ignores SIGTERM is killed, and a systemd stop hangs.
/// </summary>
public sealed class SigtermWhileJoiningStops : IAsyncLifetime
{
    private readonly ProcessNodes _nodes = new("tunnel-sigterm-");

    [Fact]
    public async Task A_node_waiting_for_its_seeds_stops_at_sigterm()
    {
        await using var dns = await TestDnsServer.StartAsync();
        // The seed's port stays bound (never listening) for the whole test: connections to it are
        // refused, and no other test's node can take it and be joined by this one.
        using var deadSeed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        deadSeed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var node = await _nodes.StartAsync(
            await _nodes.ConfigAsync("node", dns, FreePorts.Next(), ((IPEndPoint)deadSeed.LocalEndPoint!).Port), untilAdmin: true);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{node.Admin}/") };
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("health/ready")).StatusCode);

        Assert.Equal(0, await node.TerminateAsync()); // within a minute; the join alone would wait two

        Assert.Contains(node.Output, l => l.Contains("stopped before the node had started"));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _nodes.DisposeAsync().AsTask();
}
