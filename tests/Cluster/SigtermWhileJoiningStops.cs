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
    private readonly string _directory = Directory.CreateTempSubdirectory("tunnel-sigterm-").FullName;
    private NodeProcess? _node;

    [Fact]
    public async Task A_node_waiting_for_its_seeds_stops_at_sigterm()
    {
        await using var dns = await TestDnsServer.StartAsync();
        // The seed's port stays bound (never listening) for the whole test: connections to it are
        // refused, and no other test's node can take it and be joined by this one.
        using var deadSeed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        deadSeed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var file = Path.Combine(_directory, "node.hocon");
        await File.WriteAllTextAsync(file, TunnelHocon.For(dns, 25, listen: "\"127.0.0.1:0\"", ownAddresses: "\"127.0.0.1\"") + $$"""

            tunnel.storage.sqlite.path = "{{Path.Combine(_directory, "data")}}"
            tunnel.cluster { hostname = "127.0.0.1", port = {{FreePorts.Next()}}, seeds = ["127.0.0.1:{{((IPEndPoint)deadSeed.LocalEndPoint!).Port}}"] }
            """);
        _node = await NodeProcess.StartUntilAdminAsync(file);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{_node.Admin}/") };
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("health/ready")).StatusCode);

        Assert.Equal(0, await _node.TerminateAsync()); // within a minute; the join alone would wait two

        Assert.Contains(_node.Output, l => l.Contains("stopped before the node had started"));
    }


    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime, not IAsyncDisposable: xunit 2 never calls the latter on a test class, and
    // the node processes would outlive the test.
    public async Task DisposeAsync()
    {
        if (_node is not null) await _node.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* temp directory */ }
    }
}
