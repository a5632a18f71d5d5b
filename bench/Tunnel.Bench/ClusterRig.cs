using System.Net;
using Tunnel.Node.Configuration;
using Tunnel.Tests.Testing;

namespace Tunnel.Bench;

/// <summary>
/// What --scenario failover runs against: three `tunnel` processes (Release build) forming one
/// cluster on loopback and sharing a private PostgreSQL server, the bench's DNS, and two next
/// hops on the same outbound port: the sink on ::1 for the D ordinary domains d000… and a second
/// one on 127.0.0.4 for the held domains h000…, bound but not listening until the scenario says
/// (connections refused: their mail waits in the queues). Node i listens for SMTP on 127.0.0.(20+i),
/// as tests/Cluster/ClusterHarness does; node 1 is the seed and is started first, so it is the
/// oldest member and hosts the shard coordinator.
/// </summary>
public sealed class ClusterRig : IAsyncDisposable
{
    public const int NodeCount = 3;
    private static readonly IPAddress HeldMx = IPAddress.Parse("127.0.0.4");

    private readonly string _directory;
    private readonly NodeProcess?[] _nodes = new NodeProcess?[NodeCount];

    private ClusterRig(string directory, PostgresServer postgres, TestDnsServer dns, SinkMx sink, SinkMx held,
        IReadOnlyList<string> domains, IReadOnlyList<string> heldDomains)
    {
        _directory = directory;
        Postgres = postgres;
        Dns = dns;
        Sink = sink;
        HeldSink = held;
        Domains = domains;
        HeldDomains = heldDomains;
    }

    public PostgresServer Postgres { get; }
    public TestDnsServer Dns { get; }

    /// <summary>The next hop of the ordinary domains, on ::1.</summary>
    public SinkMx Sink { get; }

    /// <summary>The next hop of the held domains, on 127.0.0.4: refuses connections until <see cref="SinkMx.Listen"/>.</summary>
    public SinkMx HeldSink { get; }

    public IReadOnlyList<string> Domains { get; }
    public IReadOnlyList<string> HeldDomains { get; }

    /// <summary>Node <paramref name="number"/> (1-based), or null once killed.</summary>
    public NodeProcess? Node(int number) => _nodes[number - 1];

    public static string Held(int index) => $"h{index:000}.bench.test";

    public static string Address(int node) => $"127.0.0.{20 + node}";

    /// <summary>
    /// The node's configuration over cluster.hocon. Changed from production: where to listen,
    /// store and resolve; the relay domains; loopback next hops allowed; no greeting delay (a
    /// per-connection wait, not work); and a short retry schedule (1 s, at most 2 s), so that mail
    /// held for a down destination is due at any moment and the time until it is attempted
    /// again after a kill measures the take-over, not the backoff. The split-brain resolver and
    /// everything about sharding and storage stay as cluster.hocon has them (stable-after 20 s).
    /// </summary>
    public static string NodeHocon(int node, string dns, int outboundPort, IEnumerable<string> domains, string connection,
        IReadOnlyList<int> clusterPorts) => $$"""
        tunnel {
          hostname = "node{{node}}.bench.test"
          smtp.listen = ["{{Address(node)}}:0"]
          smtp.greeting-delay = 0s
          relay.domains = [{{string.Join(", ", domains.Select(d => $"\"{d}\""))}}]
          own-addresses = ["{{Address(node)}}"]
          dns.servers = ["{{dns}}"]
          outbound.port = {{outboundPort}}
          outbound.families = ["ipv4", "ipv6"]
          outbound.prohibited = []
          outbound.nat64-prefix = ""
          queue.retry { first = 1s, max = 2s }
          admin.listen = "127.0.0.1:0"
          storage.provider = postgresql
          storage.postgresql.connection-string = {{ConfigLoader.Quote(connection)}}
          cluster { hostname = "127.0.0.1", port = {{clusterPorts[node - 1]}}, seeds = ["127.0.0.1:{{clusterPorts[0]}}"] }
        }
        """;

    public static async Task<ClusterRig> StartAsync(int domains, int held)
    {
        var directory = Directory.CreateTempSubdirectory("tunnel-bench-cluster-").FullName;
        var postgres = await PostgresServer.StartAsync();
        TestDnsServer? dns = null;
        SinkMx? sink = null, heldSink = null;
        ClusterRig? rig = null;
        try
        {
            var connection = await postgres.CreateDatabaseAsync("tunnel_bench");
            dns = await TestDnsServer.StartAsync();
            sink = SinkMx.Start(IPAddress.IPv6Loopback);
            heldSink = SinkMx.BindOnly(new IPEndPoint(HeldMx, sink.EndPoint.Port));
            var names = Enumerable.Range(0, domains).Select(BenchRig.Domain).ToList();
            var heldNames = Enumerable.Range(0, held).Select(Held).ToList();
            foreach (var name in names) dns.Zone.Mx(name, 10, "mx1." + name).Aaaa("mx1." + name, "::1");
            foreach (var name in heldNames) dns.Zone.Mx(name, 10, "mx1." + name).A("mx1." + name, HeldMx.ToString());
            rig = new ClusterRig(directory, postgres, dns, sink, heldSink, names, heldNames);

            var clusterPorts = Enumerable.Range(0, NodeCount).Select(_ => FreePorts.Next()).ToList();
            // The seed first: the others join it, and it stays the oldest member.
            for (var node = 1; node <= NodeCount; node++)
            {
                var config = Path.Combine(directory, $"node{node}.hocon");
                await File.WriteAllTextAsync(config, NodeHocon(node, dns.EndPoint.ToString(), sink.EndPoint.Port,
                    names.Concat(heldNames), connection, clusterPorts));
                rig._nodes[node - 1] = await NodeProcess.StartAsync(config);
            }
            return rig;
        }
        catch
        {
            if (rig is not null) await rig.DisposeAsync();
            else
            {
                if (heldSink is not null) await heldSink.DisposeAsync();
                if (sink is not null) await sink.DisposeAsync();
                if (dns is not null) await dns.DisposeAsync();
                await postgres.DisposeAsync();
                Directory.Delete(directory, recursive: true);
            }
            throw;
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or the OOM killer.</summary>
    public async Task KillAsync(int node)
    {
        if (_nodes[node - 1] is not { } process) return;
        await process.KillAsync();
        await process.DisposeAsync();
        _nodes[node - 1] = null;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < NodeCount; i++)
        {
            if (_nodes[i] is { } node) await node.DisposeAsync(); // SIGKILL by its pid if still running
            _nodes[i] = null;
        }
        await HeldSink.DisposeAsync();
        await Sink.DisposeAsync();
        await Dns.DisposeAsync();
        await Postgres.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* a temporary folder */ }
    }
}
