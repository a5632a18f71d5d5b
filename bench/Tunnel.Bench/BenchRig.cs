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
/// SQLite in a temporary folder or a node already running (--target).
/// </summary>
public sealed class BenchRig : IAsyncDisposable
{
    /// <summary>The tunnel's own IPv4 address, which every MX host publishes as its A record.</summary>
    private const string TunnelV4 = "127.0.0.1";

    private readonly string? _directory;
    private readonly PostfixRelay? _postfix;

    private BenchRig(TestDnsServer dns, SinkMx sink, NodeProcess? node, IReadOnlyList<IPEndPoint> smtp, int? pid, string? directory,
        PostfixRelay? postfix = null)
    {
        _postfix = postfix;
        Dns = dns;
        Sink = sink;
        Node = node;
        Smtp = smtp;
        NodePid = pid;
        _directory = directory;
    }

    public TestDnsServer Dns { get; }
    public SinkMx Sink { get; }

    /// <summary>The node when the bench started it; null with --target.</summary>
    public NodeProcess? Node { get; }

    /// <summary>Where clients connect: the node's IPv4 and IPv6 listeners (or the --target endpoints, or the sink itself with --calibrate).</summary>
    public IReadOnlyList<IPEndPoint> Smtp { get; }

    /// <summary>The node's process, for /proc figures; null with --target and no --node-pid.</summary>
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
        TimeSpan greetingDelay = default, TimeSpan? greetingPassTtl = null) => $$"""
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
        tunnel.cluster.port = 0
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
        if (options.Calibrate)
            return new BenchRig(dns, sink, null, [sink.EndPoint], null, null);
        if (!options.OwnsNode)
            return new BenchRig(dns, sink, null, options.Targets, options.NodePid, null);

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
            return new BenchRig(dns, sink, node, smtp, node.Id, directory);
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
            return new BenchRig(dns, sink, null, postfix.Smtp, postfix.MasterPid, null, postfix);
        }
        catch
        {
            await sink.DisposeAsync();
            await dns.DisposeAsync();
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
    public int CountLog(string fragment) => Node?.Output.Count(l => l.Contains(fragment, StringComparison.Ordinal)) ?? 0;

    /// <summary>Stops the node with SIGTERM (its clean shutdown) and returns its exit code; null with --target.</summary>
    public async Task<int?> StopNodeAsync() => Node is null ? null : await Node.TerminateAsync();

    public async ValueTask DisposeAsync()
    {
        if (Node is not null) await Node.DisposeAsync();
        if (_postfix is not null) await _postfix.DisposeAsync();
        await Sink.DisposeAsync();
        await Dns.DisposeAsync();
        if (_directory is not null)
        {
            try { Directory.Delete(_directory, recursive: true); }
            catch (IOException) { /* a temporary folder */ }
        }
    }
}
