using System.Net;
using BenchmarkDotNet.Attributes;
using Tunnel.Cluster.Ingress;
using Tunnel.Messages.Mail;

namespace Tunnel.Bench.Micro;

/// <summary>The RCPT decision against a node relaying for 10 or 1,000 domains, for a recipient it takes and one it refuses.</summary>
[MemoryDiagnoser]
public class RelayPolicyBenchmarks
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.25");
    private static readonly Mailbox Relayed = new("user0000001234", "d003.bench.test");
    private static readonly Mailbox Foreign = new("user", "elsewhere.example");
    private RelayPolicy _policy = null!;

    [Params(10, 1000)]
    public int Domains { get; set; }

    [GlobalSetup]
    public void Setup() =>
        _policy = new RelayPolicy(new RelaySettings(Enumerable.Range(0, Domains).Select(d => $"d{d:000}.bench.test").ToHashSet()));

    [Benchmark]
    public RelayDecision Accepts() => _policy.Decide(Relayed, Client);

    [Benchmark]
    public RelayDecision Refuses() => _policy.Decide(Foreign, Client);
}
