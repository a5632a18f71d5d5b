using Tunnel.Node.Configuration;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 14: `tunnel dns check` and `tunnel dns plan` tell the operator, for each MX host the
/// tunnel stands in for, which certificate its senders would get, and warn when a sender that
/// verifies would refuse it: no certificate names the host (the default would be served), or its
/// certificate expires within 14 days. Hosts that do not point at the tunnel are not judged.
/// </summary>
public sealed class DnsCommandsWarnOfCertificates : IAsyncLifetime
{
    private readonly TestCa _ca = TestCa.Create();
    private readonly string _config = Path.GetTempFileName();
    private TestDnsServer? _dns;

    public async Task InitializeAsync()
    {
        _dns = await TestDnsServer.StartAsync();
        _dns.Zone.Mx("example.com", 10, "mx1.example.com").Mx("example.com", 20, "mx2.example.com").Mx("example.com", 30, "mx3.example.com")
            .Mx("example.com", 40, "mx.dual.example")
            .A("mx1.example.com", "192.0.1.30").Aaaa("mx1.example.com", "2001:db8::1")
            .A("mx2.example.com", "192.0.1.30").Aaaa("mx2.example.com", "2001:db8::2")
            .Aaaa("mx3.example.com", "2001:db8::3") // to be tunneled: its A records are still to publish
            .A("mx.dual.example", "192.0.2.4").Aaaa("mx.dual.example", "2001:db8::4");
        var main = _ca.Issue("default", ["tunnel.test"]);
        var mx1 = _ca.Issue("mx1", ["mx1.example.com"]);
        var mx3 = _ca.Issue("mx3", ["mx3.example.com"], validFor: TimeSpan.FromDays(5));
        await File.WriteAllTextAsync(_config, $$"""
            tunnel {
              public-addresses = ["192.0.1.30"]
              dns.servers = ["{{_dns.EndPoint}}"]
              outbound.families = ["ipv4", "ipv6"]
              outbound.nat64-prefix = ""
              tls {
                certificate = {{ConfigLoader.Quote(main.Certificate)}}, key = {{ConfigLoader.Quote(main.Key)}}
                certificates = [
                  { certificate = {{ConfigLoader.Quote(mx1.Certificate)}}, key = {{ConfigLoader.Quote(mx1.Key)}} }
                  { certificate = {{ConfigLoader.Quote(mx3.Certificate)}}, key = {{ConfigLoader.Quote(mx3.Key)}} }
                ]
              }
            }
            """);
    }

    [Fact]
    public async Task Dns_check_names_each_tunneled_host_s_certificate_and_warns_of_a_missing_one()
    {
        _dns!.Zone.A("mx3.example.com", "192.0.1.30"); // published now

        var check = await Cli.RunAsync("dns", "check", "example.com", "--config", _config);

        Assert.True(check.Code == 0, check.ToString()); // a warning does not stop delivery
        var lines = check.Output.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("tls    mx1.example.com: certificate mx1.example.com (expires "));
        Assert.Contains("tls    warning: mx2.example.com: no certificate in tunnel.tls.certificates names mx2.example.com: "
                        + "senders that verify get the default certificate (tunnel.test) and refuse it; add its certificate", lines);
        Assert.Contains(lines, l => l.StartsWith("tls    warning: mx3.example.com: its certificate mx3.example.com (") && l.Contains(" in 5 days"));
        Assert.DoesNotContain(lines, l => l.Contains("mx.dual.example") && l.StartsWith("tls")); // not ours: its own certificate

        var json = (await Cli.RunAsync("dns", "check", "example.com", "--json", "--config", _config)).Json;
        var tls = json.GetProperty("tls").EnumerateArray().ToDictionary(t => t.GetProperty("host").GetString()!);
        Assert.Equal(["mx1.example.com", "mx2.example.com", "mx3.example.com"], tls.Keys.Order());
        Assert.True(tls["mx1.example.com"].GetProperty("covers").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, tls["mx1.example.com"].GetProperty("warning").ValueKind);
        Assert.Equal("tunnel.test (default)", tls["mx2.example.com"].GetProperty("certificate").GetString());
        Assert.False(tls["mx2.example.com"].GetProperty("covers").GetBoolean());
    }

    [Fact]
    public async Task Dns_plan_warns_for_each_host_it_would_tunnel()
    {
        var plan = await Cli.RunAsync("dns", "plan", "--mx", "mx1.example.com", "mx2.example.com", "mx3.example.com", "mx.dual.example",
            "--config", _config);

        Assert.True(plan.Code == 0, plan.ToString());
        var lines = plan.Output.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("; TLS mx1.example.com: certificate mx1.example.com (expires "));
        Assert.Contains(lines, l => l.StartsWith("; TLS warning: mx2.example.com: no certificate in tunnel.tls.certificates names mx2.example.com"));
        Assert.Contains(lines, l => l.StartsWith("; TLS warning: mx3.example.com: its certificate mx3.example.com (") && l.Contains("expires on"));
        Assert.DoesNotContain(lines, l => l.StartsWith("; TLS") && l.Contains("mx.dual.example")); // dual-stack: not tunneled
    }

    public async Task DisposeAsync()
    {
        File.Delete(_config);
        if (_dns is not null) await _dns.DisposeAsync();
        _ca.Dispose();
    }
}
