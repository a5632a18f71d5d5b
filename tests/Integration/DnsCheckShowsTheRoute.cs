using Tunnel.Node.Cli;
using Tunnel.Node.Configuration;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>`tunnel dns check` prints the route the delivery engine would take, with every address's verdict.</summary>
public sealed class DnsCheckShowsTheRoute
{
    [Fact]
    public async Task The_drafts_mx1_shows_our_A_record_skipped_and_its_AAAA_used()
    {
        await using var dns = await TestDnsServer.StartAsync();
        dns.Zone.Mx("example.com", 1, "mx1.example.com").A("mx1.example.com", "192.0.1.30").Aaaa("mx1.example.com", "2001:db8:ffff::2:1")
            .Mx("loop.example", 1, "mx.loop.example").A("mx.loop.example", "192.0.1.30")
            .NullMx("nomail.example");
        var settings = Settings(dns);

        var (code, output) = await CheckAsync("example.com", settings);
        Assert.Equal(0, code);
        Assert.Contains("    1 mx1.example.com", output);
        Assert.Matches(@"192\.0\.1\.30 +IPv4  ours \(never delivered to\)", output);
        Assert.Matches(@"2001:db8:ffff::2:1 +IPv6  use", output);
        Assert.Contains("verdict deliver, trying in order: mx1.example.com[2001:db8:ffff::2:1]:25", output);

        (code, output) = await CheckAsync("loop.example", settings);
        Assert.Equal(1, code);
        Assert.Contains("verdict fail 5.4.6: mail for loop.example loops back to myself", output);

        (code, output) = await CheckAsync("nomail.example", settings);
        Assert.Equal(1, code);
        Assert.Contains("verdict fail 5.1.10", output);
    }

    private static TunnelSettings Settings(TestDnsServer dns)
    {
        var config = ConfigLoader.Overlay($$"""
            tunnel {
              public-addresses = ["192.0.1.30", "192.0.1.31"]
              dns.servers = ["{{dns.EndPoint}}"]
              outbound.families = ["ipv4", "ipv6"]
              outbound.nat64-prefix = ""
            }
            """, ConfigLoader.Load(null, _ => null));
        return SettingsReader.Read(config);
    }

    private static async Task<(int Code, string Output)> CheckAsync(string domain, TunnelSettings settings)
    {
        var output = new StringWriter();
        var code = await DnsCheckCommand.RunAsync(domain, settings, output);
        return (code, output.ToString());
    }
}
