using Tunnel.Tests.Integration;
using Tunnel.Tests.Testing;

namespace Tunnel.Tests.Cluster;

/// <summary>
/// The real `tunnel` processes of one test: each with its own SQLite folder under one temporary
/// directory, SMTP on a free loopback port, a cluster address of its own and its seeds. Every
/// process started here is stopped, and the directory removed, when this is disposed (from a
/// test class's <c>IAsyncLifetime.DisposeAsync</c>: xunit 2 never disposes a test class that is
/// only <c>IAsyncDisposable</c>, and the processes would outlive the test).
/// </summary>
internal sealed class ProcessNodes(string prefix) : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory(prefix).FullName;
    private readonly List<NodeProcess> _nodes = [];

    /// <summary>Writes the configuration of node <paramref name="name"/> (cluster port <paramref name="port"/>, joining <paramref name="seed"/>) and returns its path.</summary>
    public async Task<string> ConfigAsync(string name, TestDnsServer dns, int port, int seed)
    {
        var file = Path.Combine(_directory, $"{name}.hocon");
        await File.WriteAllTextAsync(file, TunnelHocon.For(dns, 25, listen: "\"127.0.0.1:0\"", ownAddresses: "\"127.0.0.1\"") + $$"""

            tunnel.storage.sqlite.path = "{{Path.Combine(_directory, name)}}"
            tunnel.cluster { hostname = "127.0.0.1", port = {{port}}, seeds = ["127.0.0.1:{{seed}}"] }
            """);
        return file;
    }

    /// <summary>Starts a node; with <paramref name="untilAdmin"/> only until its admin endpoint answers (it may still be joining).</summary>
    public async Task<NodeProcess> StartAsync(string config, bool untilAdmin = false)
    {
        var node = untilAdmin ? await NodeProcess.StartUntilAdminAsync(config) : await NodeProcess.StartAsync(config);
        _nodes.Add(node);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* temp directory */ }
    }
}
