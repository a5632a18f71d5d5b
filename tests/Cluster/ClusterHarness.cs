using System.Net;
using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Integration;
using Tunnel.Tests.Testing;

namespace Tunnel.Tests.Cluster;

/// <summary>
/// Several real `tunnel` processes forming one cluster on loopback, sharing a private
/// PostgreSQL server, with D test domains whose MX hosts are two sinks (one IPv6, one IPv4)
/// on the tunnel's outbound port. Node i listens on 127.0.0.(20+i); node 1 is the seed.
/// </summary>
public sealed class ClusterHarness : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tunnel-cluster-").FullName;
    private readonly List<NodeProcess?> _nodes = [];
    private readonly List<string> _configs = [];

    private ClusterHarness(PostgresServer postgres, TestDnsServer dns, SinkMx v6, SinkMx v4, IReadOnlyList<string> domains)
    {
        Postgres = postgres;
        Dns = dns;
        SinkV6 = v6;
        SinkV4 = v4;
        Domains = domains;
    }

    public PostgresServer Postgres { get; }
    public TestDnsServer Dns { get; }
    public SinkMx SinkV6 { get; }
    public SinkMx SinkV4 { get; }
    public IReadOnlyList<string> Domains { get; }
    public IReadOnlyList<NodeProcess?> Nodes => _nodes;

    public IEnumerable<ReceivedMail> Delivered => SinkV6.Messages.Concat(SinkV4.Messages);

    public static async Task<ClusterHarness> StartAsync(int nodes, int domains, string extraSettings = "")
    {
        var postgres = await PostgresServer.StartAsync();
        var connection = await postgres.CreateDatabaseAsync("tunnel_cluster");
        var dns = await TestDnsServer.StartAsync();
        var v6 = SinkMx.Start(IPAddress.IPv6Loopback);
        var v4 = SinkMx.Start(new IPEndPoint(IPAddress.Parse("127.0.0.3"), v6.EndPoint.Port));
        var names = Enumerable.Range(0, domains).Select(i => $"d{i}.example").ToList();
        for (var i = 0; i < names.Count; i++)
        {
            var host = $"mx.{names[i]}";
            dns.Zone.Mx(names[i], 10, host);
            if (i % 2 == 0) dns.Zone.Aaaa(host, "::1");
            else dns.Zone.A(host, "127.0.0.3");
        }
        var harness = new ClusterHarness(postgres, dns, v6, v4, names);
        var clusterPorts = Enumerable.Range(0, nodes).Select(_ => FreePorts.Next()).ToList();
        for (var i = 1; i <= nodes; i++)
        {
            var config = Path.Combine(harness._directory, $"node{i}.hocon");
            await File.WriteAllTextAsync(config, TunnelHocon.For(dns, v6.EndPoint.Port, listen: $"\"{Address(i)}:0\"", ownAddresses: $"\"{Address(i)}\"") + $$"""

                tunnel {
                  relay.domains = [{{string.Join(", ", names.Select(n => $"\"{n}\""))}}]
                  storage.provider = postgresql
                  storage.postgresql.connection-string = "{{connection}}"
                  cluster { hostname = "127.0.0.1", port = {{clusterPorts[i - 1]}}, seeds = ["127.0.0.1:{{clusterPorts[0]}}"] }
                  {{extraSettings}}
                }
                akka.cluster.split-brain-resolver.stable-after = 4s
                akka.loglevel = INFO
                """);
            harness._configs.Add(config);
            harness._nodes.Add(null);
        }
        // The seed first: the others join it.
        for (var i = 1; i <= nodes; i++) await harness.StartNodeAsync(i);
        return harness;
    }

    public static string Address(int node) => $"127.0.0.{20 + node}";

    public async Task StartNodeAsync(int node) => _nodes[node - 1] = await NodeProcess.StartAsync(_configs[node - 1]);

    public NodeProcess Node(int node) => _nodes[node - 1] ?? throw new InvalidOperationException($"node {node} is not running");

    public IPEndPoint Smtp(int node) => Node(node).SmtpEndpoints.Single();

    public async Task KillAsync(int node)
    {
        await Node(node).KillAsync();
        _nodes[node - 1] = null;
    }

    /// <summary>Sends one message; returns the queue id on 250, null on anything else (refused, cut off).</summary>
    public static async Task<string?> TrySendAsync(IPEndPoint node, string to, string tag)
    {
        var reply = await SendForReplyAsync(node, to, tag);
        return reply.StartsWith("250 2.0.0 Ok: queued as ") ? reply[^20..] : null;
    }

    /// <summary>
    /// Sends one message and returns the reply to its data ("250 2.0.0 Ok: queued as …", "451 …"),
    /// the greeting when it was not 220, or "no reply: …" when the connection broke first.
    /// </summary>
    public static async Task<string> SendForReplyAsync(IPEndPoint node, string to, string tag)
    {
        try
        {
            var (client, greeting) = await RawSmtpClient.OpenAsync(node);
            await using (client)
            {
                if (!greeting.StartsWith("220")) return greeting;
                return await client.SendMailAsync("load@ip4only.example", [to],
                    Encoding.ASCII.GetBytes($"Subject: {tag}\r\nX-Tag: {tag}\r\n\r\nload\r\n.\r\n"));
            }
        }
        catch (Exception e) when (e is IOException or SocketException or EndOfStreamException or OperationCanceledException)
        {
            return $"no reply: {e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>Node i's cluster address as the admin API and `tunnel cluster leave` write it ("127.0.0.1:port"), from its start-up log.</summary>
    public string ClusterAddress(int node) =>
        Node(node).Output.First(l => l.Contains("up as akka.tcp://tunnel@")).Split("akka.tcp://tunnel@")[1].Trim();

    /// <summary>
    /// Which running node hosts each domain queue that is running now, as `tunnel shards --json`
    /// asked of node <paramref name="via"/> says: domain → node number.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, int>> QueueHostsAsync(int via)
    {
        var shards = await Cli.RunAsync("shards", "--node", Node(via).Admin!, "--json");
        if (shards.Code != 0) throw new InvalidOperationException($"tunnel shards failed: {shards}");
        var nodes = Enumerable.Range(1, _nodes.Count).Where(i => _nodes[i - 1] is { } n && n.Output.Any(l => l.Contains("up as akka.tcp://tunnel@")))
            .ToDictionary(ClusterAddress, i => i);
        var hosts = new Dictionary<string, int>();
        foreach (var region in shards.Json.GetProperty("nodes").EnumerateArray())
        {
            if (!nodes.TryGetValue(region.GetProperty("node").GetString()!, out var node)) continue;
            foreach (var shard in region.GetProperty("shards").EnumerateArray())
            foreach (var domain in shard.GetProperty("domains").EnumerateArray())
                hosts[domain.GetString()!] = node;
        }
        return hosts;
    }

    /// <summary>`tunnel cluster leave` for node <paramref name="node"/>, asked of node <paramref name="via"/>, as an operator does in a rolling upgrade.</summary>
    public async Task LeaveAsync(int node, int via)
    {
        var leave = await Cli.RunAsync("cluster", "leave", ClusterAddress(node), "--node", Node(via).Admin!);
        if (leave.Code != 0) throw new InvalidOperationException($"tunnel cluster leave failed: {leave}");
    }

    /// <summary>Marks node i as gone (it exited by itself, e.g. after leaving); disposal no longer waits for it.</summary>
    public async Task ForgetAsync(int node)
    {
        if (_nodes[node - 1] is { } process) await process.DisposeAsync();
        _nodes[node - 1] = null;
    }

    /// <summary>
    /// Sends until the node answers 250, as an MTA retries a 4xx (a cluster that has just formed
    /// may answer 451 while a domain's shard is first allocated); returns the queue id.
    /// </summary>
    public static async Task<string> SendUntilAcceptedAsync(IPEndPoint node, string to, string tag, TimeSpan timeout, string what)
    {
        string? id = null;
        await Eventually.Until(async () => (id = await TrySendAsync(node, to, tag)) is not null, timeout, what);
        return id!;
    }

    public static string TagOf(ReceivedMail mail)
    {
        var text = mail.Text;
        var start = text.IndexOf("X-Tag: ", StringComparison.Ordinal) + 7;
        return text[start..text.IndexOf('\r', start)];
    }

    /// <summary>Stops everything it started, each part even when another fails to stop (then that failure is rethrown).</summary>
    public async ValueTask DisposeAsync()
    {
        var failures = new List<Exception>();
        async Task Stop(Func<ValueTask> dispose)
        {
            try { await dispose(); }
            catch (Exception e) { failures.Add(e); }
        }
        foreach (var node in _nodes.OfType<NodeProcess>()) await Stop(node.DisposeAsync);
        await Stop(SinkV6.DisposeAsync);
        await Stop(SinkV4.DisposeAsync);
        await Stop(Dns.DisposeAsync);
        await Stop(Postgres.DisposeAsync);
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* temp directory */ }
        if (failures.Count > 0) throw new AggregateException("stopping the cluster harness", failures);
    }
}
