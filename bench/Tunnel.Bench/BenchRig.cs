using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tunnel.Node.Configuration;
using Tunnel.Tests.Testing;

namespace Tunnel.Bench;

/// <summary>
/// Everything a run talks to: the bench's DNS server (the D domains, each with an MX host whose A
/// record is the tunnel itself and whose AAAA record is the sink, the draft's §2.2 picture), the
/// sink MX on ::1, and the node under test, either a child process of the Release build with
/// SQLite in a temporary folder or a node already running (--target). With --nodes N or
/// --storage postgresql: N child processes forming one cluster on a private PostgreSQL server,
/// node i listening on 127.0.0.(20+i) and ::1, the clients spread over all of them.
/// </summary>
public sealed class BenchRig : IAsyncDisposable
{
    /// <summary>The tunnel's own IPv4 address, which every MX host publishes as its A record.</summary>
    private const string TunnelV4 = "127.0.0.1";

    private readonly string? _directory;
    private readonly PostfixRelay? _postfix;

    private BenchRig(TestDnsServer dns, SinkMx sink, IReadOnlyList<NodeProcess> nodes, IReadOnlyList<IPEndPoint> smtp, int? pid, string? directory,
        PostgresServer? postgres = null, string? connection = null, PostfixRelay? postfix = null)
    {
        _postfix = postfix;
        Dns = dns;
        Sink = sink;
        Nodes = nodes;
        Smtp = smtp;
        NodePid = pid;
        _directory = directory;
        Postgres = postgres;
        Connection = connection;
    }

    /// <summary>Every node the bench started (one unless --nodes); empty with --target.</summary>
    public IReadOnlyList<NodeProcess> Nodes { get; }

    /// <summary>The private PostgreSQL server with --storage postgresql, and the nodes' database on it.</summary>
    public PostgresServer? Postgres { get; }
    public string? Connection { get; }

    public TestDnsServer Dns { get; }
    public SinkMx Sink { get; }

    /// <summary>The (first) node when the bench started it; null with --target.</summary>
    public NodeProcess? Node => Nodes.Count > 0 ? Nodes[0] : null;

    /// <summary>Where clients connect: the node's IPv4 and IPv6 listeners (or the --target endpoints, or the sink itself with --calibrate).</summary>
    public IReadOnlyList<IPEndPoint> Smtp { get; }

    /// <summary>The (first) node's process, for /proc figures; null with --target and no --node-pid.</summary>
    public int? NodePid { get; }

    /// <summary>The relay under test is Postfix (--scenario versus): its CPU is its master's and every daemon's.</summary>
    public bool IsPostfix => _postfix is not null;

    public static string Domain(int index) => $"d{index:000}.bench.test";

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Tunnel.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Tunnel.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>The node build NodeProcess runs: the same configuration as this bench (Release).</summary>
    public static string NodeExecutable() =>
        Path.Combine(RepositoryRoot(), "src", "Node", "bin", "Release", "net10.0", "tunnel.dll");

    /// <summary>
    /// The node's configuration, layered over cluster.hocon as an operator's file is. Everything
    /// that makes mail durable stays at its default (SQLite with WAL and synchronous=FULL, 250 only
    /// after the spool and every queue confirmed). Changed: where to listen and store, the relay
    /// domains, the DNS server, the next hop's port, and a short retry schedule, so a deferral
    /// during a run costs seconds rather than the production 5 minutes (and is counted). The sink
    /// sits on ::1, so loopback is not a prohibited destination here, and both families are
    /// reachable; the early-talker greeting delay is off (it is a per-connection wait, not work)
    /// unless --greeting-delay sets it (with cluster.hocon's memory of clients that waited, unless
    /// --greeting-pass-ttl sets that), and one client address may open as many connections and transactions as the run needs (real senders come
    /// from many addresses). With <paramref name="productionRetry"/> (--scenario outage) the retry
    /// schedule stays cluster.hocon's too: how the node backs off is what that scenario measures.
    /// </summary>
    public static string NodeHocon(int domains, string dns, int sinkPort, string listen, string? dataPath, bool productionRetry = false,
        TimeSpan greetingDelay = default, TimeSpan? greetingPassTtl = null, string cluster = "") => $$"""
        tunnel {
          hostname = "tunnel.bench.test"
          smtp.listen = [{{listen}}]
          relay.domains = [{{string.Join(", ", Enumerable.Range(0, domains).Select(d => $"\"{Domain(d)}\""))}}]
          own-addresses = ["{{TunnelV4}}"]
          dns.servers = ["{{dns}}"]
          outbound.port = {{sinkPort}}
          outbound.families = ["ipv4", "ipv6"]
          outbound.prohibited = []
          outbound.nat64-prefix = ""
          smtp.greeting-delay = {{(int)greetingDelay.TotalMilliseconds}}ms
          {{(greetingPassTtl is { } ttl ? $"smtp.greeting-pass-ttl = {(long)ttl.TotalSeconds}s" : "")}}
          # --idle opens up to 18,000 sessions from one address; the defaults (1000 in all,
          # 20 per client) protect a production node from exactly that. The load's C connections
          # come from two addresses, so one address runs up to C/2 transactions at once (the
          # default lets one client hold 10).
          smtp.max-connections = 20000
          smtp.max-connections-per-client = 20000
          smtp.max-pending-messages-per-client = 20000
          {{(productionRetry ? "" : "queue.retry { first = 2s, max = 10s }")}}
          admin.listen = "127.0.0.1:0"
        }
        {{(dataPath is null ? "" : $"tunnel.storage.sqlite.path = {ConfigLoader.Quote(dataPath)}")}}
        {{(cluster.Length == 0 ? "tunnel.cluster.port = 0" : cluster)}}
        """;

    public static async Task<BenchRig> StartAsync(BenchOptions options)
    {
        // --scenario outage: one domain, whose MX host's AAAA is a port bound but never listening
        // (connections refused, as a server that is down), and whose A record is ours (skipped).
        var outage = options.Scenario == BenchOptions.OutageScenario;
        var domains = outage ? 1 : options.Domains;
        var dns = await TestDnsServer.StartAsync(IPAddress.Loopback, options.Targets.Count == 0 ? 0 : options.DnsPort);
        var sink = outage ? SinkMx.BindOnly(IPAddress.IPv6Loopback) : SinkMx.Start(IPAddress.IPv6Loopback, options.Targets.Count == 0 ? 0 : options.SinkPort);
        for (var d = 0; d < domains; d++)
        {
            var mx = "mx1." + Domain(d);
            dns.Zone.Mx(Domain(d), 10, mx).A(mx, TunnelV4).Aaaa(mx, "::1");
        }
        sink.DataReplyDelay = options.MxDelay;
        if (options.Calibrate)
            return new BenchRig(dns, sink, [], [sink.EndPoint], null, null);
        if (!options.OwnsNode)
            return new BenchRig(dns, sink, [], options.Targets, options.NodePid, null);
        if (options.Nodes > 1 || options.Storage == BenchOptions.Postgres)
            return await StartClusterAsync(options, domains, dns, sink);

        var directory = Directory.CreateTempSubdirectory("tunnel-bench-").FullName;
        try
        {
            var config = Path.Combine(directory, "node.hocon");
            await File.WriteAllTextAsync(config, NodeHocon(domains, dns.EndPoint.ToString(), sink.EndPoint.Port,
                $"\"{TunnelV4}:0\", \"[::1]:0\"", Path.Combine(directory, "data"), productionRetry: outage,
                options.GreetingDelay, options.GreetingPassTtl));
            var node = await NodeProcess.StartAsync(config);
            var smtp = new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 }
                .Select(f => node.SmtpEndpoints.First(e => e.AddressFamily == f)).ToList();
            return new BenchRig(dns, sink, [node], smtp, node.Id, directory);
        }
        catch
        {
            await sink.DisposeAsync();
            await dns.DisposeAsync();
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// The same DNS and sink as <see cref="StartAsync"/>, with a private Postfix as the relay under
    /// test instead of a node (--scenario versus): the clients send to Postfix, which relays every
    /// bench domain to the sink.
    /// </summary>
    public static async Task<BenchRig> StartPostfixAsync()
    {
        var dns = await TestDnsServer.StartAsync(IPAddress.Loopback, 0);
        var sink = SinkMx.Start(IPAddress.IPv6Loopback, 0);
        try
        {
            var postfix = await PostfixRelay.StartAsync(sink.EndPoint.Port);
            return new BenchRig(dns, sink, [], postfix.Smtp, postfix.MasterPid, null, postfix: postfix);
        }
        catch
        {
            await sink.DisposeAsync();
            await dns.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// --nodes N / --storage postgresql: a private PostgreSQL server and N nodes in one cluster on
    /// it, node 1 the seed (started first). Each listens on 127.0.0.(20+i) and ::1; the clients
    /// take the listeners in turn. --split K splits every domain in K sub-queues.
    /// </summary>
    private static async Task<BenchRig> StartClusterAsync(BenchOptions options, int domains, TestDnsServer dns, SinkMx sink)
    {
        var directory = Directory.CreateTempSubdirectory("tunnel-bench-").FullName;
        var postgres = await PostgresServer.StartAsync();
        var nodes = new List<NodeProcess>();
        try
        {
            var connection = await postgres.CreateDatabaseAsync("tunnel_bench");
            var ports = Enumerable.Range(0, options.Nodes).Select(_ => FreePorts.Next()).ToList();
            for (var i = 1; i <= options.Nodes; i++)
            {
                var config = Path.Combine(directory, $"node{i}.hocon");
                await File.WriteAllTextAsync(config, NodeHocon(domains, dns.EndPoint.ToString(), sink.EndPoint.Port,
                    $"\"{ClusterRig.Address(i)}:0\", \"[::1]:0\"", null, greetingDelay: options.GreetingDelay, greetingPassTtl: options.GreetingPassTtl,
                    cluster: $$"""
                        tunnel.hostname = "node{{i}}.bench.test"
                        tunnel.storage.provider = postgresql
                        tunnel.storage.postgresql.connection-string = {{ConfigLoader.Quote(connection)}}
                        tunnel.cluster { hostname = "127.0.0.1", port = {{ports[i - 1]}}, seeds = ["127.0.0.1:{{ports[0]}}"] }
                        tunnel.queue.split-default = {{options.Split}}
                        """));
                nodes.Add(await NodeProcess.StartAsync(config));
            }
            var smtp = nodes.SelectMany(n => new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 }
                .Select(f => n.SmtpEndpoints.First(e => e.AddressFamily == f))).ToList();
            return new BenchRig(dns, sink, nodes, smtp, nodes[0].Id, directory, postgres, connection);
        }
        catch
        {
            foreach (var node in nodes) await node.DisposeAsync();
            await postgres.DisposeAsync();
            await sink.DisposeAsync();
            await dns.DisposeAsync();
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>`dotnet build src/Node -c Release`, for --build.</summary>
    public static async Task BuildNodeAsync()
    {
        var project = Path.Combine(RepositoryRoot(), "src", "Node", "Tunnel.Node.csproj");
        using var build = Process.Start(new ProcessStartInfo("dotnet", ["build", project, "-c", "Release", "-nologo", "-v", "quiet"])
        {
            UseShellExecute = false,
        })!;
        await build.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        if (build.ExitCode != 0) throw new InvalidOperationException($"dotnet build {project} failed ({build.ExitCode})");
    }

    /// <summary>Mail-log lines of the node so far ("removed from", "status=deferred"…); empty with --target.</summary>
    public int CountLog(string fragment) => Nodes.Sum(n => n.Output.Count(l => l.Contains(fragment, StringComparison.Ordinal)));

    /// <summary>Stops the nodes with SIGTERM (their clean shutdown), the last started first; the first non-zero exit code, null with --target.</summary>
    public async Task<int?> StopNodeAsync()
    {
        if (Nodes.Count == 0) return null;
        var code = 0;
        foreach (var node in Nodes.Reverse())
        {
            var exit = await node.TerminateAsync();
            if (code == 0) code = exit;
        }
        return code;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes) await node.DisposeAsync();
        if (_postfix is not null) await _postfix.DisposeAsync();
        await Sink.DisposeAsync();
        await Dns.DisposeAsync();
        if (Postgres is not null) await Postgres.DisposeAsync();
        if (_directory is not null)
        {
            try { Directory.Delete(_directory, recursive: true); }
            catch (IOException) { /* a temporary folder */ }
        }
    }
}
