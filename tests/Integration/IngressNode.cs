using System.Net;
using System.Net.Sockets;
using Tunnel.Tests.Testing;

namespace Tunnel.Tests.Integration;

/// <summary>
/// What the ingress scenarios share: a test DNS server, a sink MX on ::1 (the real server behind
/// the tunnel), and a node listening on 127.0.0.1 and ::1 that relays for example.com, whose MX
/// is the sink. <c>extra</c> HOCON adds what a scenario is about (limits, relay rules, TLS).
/// </summary>
public sealed class IngressNode : IAsyncDisposable
{
    private IngressNode(TestDnsServer dns, SinkMx sink, InProcessNode node)
    {
        Dns = dns;
        Sink = sink;
        Node = node;
    }

    public TestDnsServer Dns { get; }
    public SinkMx Sink { get; }
    public InProcessNode Node { get; }

    public IPEndPoint Smtp(AddressFamily family) => Node.Smtp(family);

    public static async Task<IngressNode> StartAsync(string extra = "")
    {
        var dns = await TestDnsServer.StartAsync();
        var sink = SinkMx.Start(IPAddress.IPv6Loopback);
        dns.Zone.Mx("example.com", 10, "mx1.example.com").Aaaa("mx1.example.com", "::1");
        try
        {
            var node = await InProcessNode.StartAsync($$"""
                tunnel {
                  hostname = "tunnel.test"
                  smtp.listen = ["127.0.0.1:0", "[::1]:0"]
                  smtp.greeting-delay = 0s
                  relay.domains = ["example.com"]
                  dns.servers = ["{{dns.EndPoint}}"]
                  dns.timeout = 2s
                  outbound.port = {{sink.EndPoint.Port}}
                  outbound.connect-timeout = 5s
                  outbound.families = ["ipv4", "ipv6"]
                  outbound.prohibited = []
                  outbound.nat64-prefix = ""
                  queue.retry { first = 1s, max = 1s }
                }
                {{extra}}
                """);
            return new IngressNode(dns, sink, node);
        }
        catch
        {
            await sink.DisposeAsync();
            await dns.DisposeAsync();
            throw;
        }
    }

    /// <summary>Connects over the given family and reads the greeting, which must be 220.</summary>
    public async Task<RawSmtpClient> OpenAsync(AddressFamily family)
    {
        var (client, greeting) = await RawSmtpClient.OpenAsync(Smtp(family));
        if (!greeting.StartsWith("220 ")) throw new InvalidOperationException($"expected a greeting, got {greeting}");
        return client;
    }

    public Task<long> SpoolCountAsync() => Node.Node.Spool.CountAsync(CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        await Sink.DisposeAsync();
        await Dns.DisposeAsync();
    }
}

/// <summary>One <see cref="IngressNode"/> shared by the tests of a class (xunit class fixture); a scenario subclasses it with its HOCON.</summary>
public abstract class IngressFixture(string extra = "") : Xunit.IAsyncLifetime
{
    private IngressNode? _node;

    public IngressNode Node => _node ?? throw new InvalidOperationException("the fixture is not started");

    public async Task InitializeAsync() => _node = await IngressNode.StartAsync(extra);

    public async Task DisposeAsync()
    {
        if (_node is not null) await _node.DisposeAsync();
    }
}
