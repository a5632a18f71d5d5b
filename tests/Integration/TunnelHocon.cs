using System.Net;
using Tunnel.Tests.Testing;

namespace Tunnel.Tests.Integration;

/// <summary>The configuration overlay the integration scenarios share: loopback endpoints, the test DNS server, the sink's port.</summary>
internal static class TunnelHocon
{
    public static string For(TestDnsServer dns, int outboundPort, string listen, string ownAddresses, string retry = "1s") => $$"""
        tunnel {
          hostname = "tunnel.test"
          smtp.listen = [{{listen}}]
          smtp.greeting-delay = 0s
          relay.domains = ["example.com", "example.org"]
          own-addresses = [{{ownAddresses}}]
          dns.servers = ["{{dns.EndPoint}}"]
          dns.timeout = 2s
          outbound.port = {{outboundPort}}
          outbound.connect-timeout = 5s
          outbound.command-timeout = 30s
          outbound.families = ["ipv4", "ipv6"]
          outbound.prohibited = []
          outbound.nat64-prefix = ""
          queue.retry { first = {{retry}}, max = {{retry}} }
          queue.attempt-timeout = 60s
          admin.listen = "127.0.0.1:0"
        }
        """;

    public static IPEndPoint Endpoint(string address, int port) => new(IPAddress.Parse(address), port);
}
