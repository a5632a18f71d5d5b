using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// `tunnel dns plan --mx …` prints what the draft asks an operator to publish (§2.1): the tunnel's
/// A records for an IPv6-only MX host (IPv4 senders come through the tunnel), its AAAA records
/// for an IPv4-only one (the relay role), nothing for a dual-stack host, and a warning for a
/// host that has only the tunnel's addresses. `tunnel dns check` runs under the same command.
/// </summary>
public sealed class DnsPlanListsTheRecordsToPublish : IAsyncLifetime
{
    private readonly string _config = Path.GetTempFileName();
    private TestDnsServer? _dns;

    [Fact]
    public async Task Each_MX_host_gets_the_records_of_its_missing_family()
    {
        _dns = await TestDnsServer.StartAsync();
        _dns.Zone.Aaaa("mx1.example.com", "2001:db8:ffff::2:1").A("mx1.example.com", "192.0.1.30")
            .A("mx1.ip4only.example", "192.0.2.1")
            .A("mx.both.example", "192.0.2.7").Aaaa("mx.both.example", "2001:db8::7")
            .A("mx.loop.example", "192.0.1.31")
            .Mx("example.com", 1, "mx1.example.com");
        await File.WriteAllTextAsync(_config, $$"""
            tunnel {
              public-addresses = ["192.0.1.30", "192.0.1.31", "2001:db8:ffff::1"]
              dns.servers = ["{{_dns.EndPoint}}"]
              outbound.families = ["ipv4", "ipv6"]
              outbound.nat64-prefix = ""
            }
            """);

        var plan = await Cli.RunAsync("dns", "plan", "--mx", "mx1.example.com", "mx1.ip4only.example", "--mx", "mx.both.example", "--config", _config);

        Assert.Equal(0, plan.Code);
        Assert.Equal(
        [
            "; Records to publish so that the tunnel carries mail for these MX hosts (draft-mrosenau-email-ipv4-to-6 §2.1).",
            "; The tunnel's addresses (tunnel.public-addresses): 192.0.1.30, 192.0.1.31, 2001:db8:ffff::1",
            "; warning: STARTTLS is not offered (tunnel.tls.certificate is not set): senders that require TLS (MTA-STS, DANE) cannot deliver through the tunnel",
            "",
            "; mx1.example.com: IPv6-only: IPv4 senders reach it through the tunnel (§2.2) [own: 2001:db8:ffff::2:1]",
            "mx1.example.com.\t3600\tIN\tA\t192.0.1.30\t; already published",
            "mx1.example.com.\t3600\tIN\tA\t192.0.1.31",
            "",
            "; mx1.ip4only.example: IPv4-only: IPv6 senders reach it through the tunnel (relay role, §2.3) [own: 192.0.2.1]",
            "mx1.ip4only.example.\t3600\tIN\tAAAA\t2001:db8:ffff::1",
            "",
            "; mx.both.example: reachable over both families: nothing to publish [own: 192.0.2.7, 2001:db8::7]",
        ], plan.Output.TrimEnd('\n').Split('\n'));

        var json = (await Cli.RunAsync("dns", "plan", "--mx", "mx.loop.example", "--ttl", "300", "--json", "--config", _config));
        Assert.Equal(1, json.Code); // a host with only our addresses would loop
        var host = Assert.Single(json.Json.GetProperty("hosts").EnumerateArray());
        Assert.Equal("no address", host.GetProperty("kind").GetString());

        var check = await Cli.RunAsync("dns", "check", "example.com", "--config", _config);
        Assert.Equal(0, check.Code);
        Assert.Contains("verdict deliver, trying in order: mx1.example.com[2001:db8:ffff::2:1]:25", check.Output);

        var checkJson = await Cli.RunAsync("dns", "check", "example.com", "--json", "--config", _config);
        Assert.Equal(0, checkJson.Code);
        Assert.Equal("deliver", checkJson.Json.GetProperty("verdict").GetString());
        Assert.Equal(["mx1.example.com[2001:db8:ffff::2:1]:25"], checkJson.Json.GetProperty("targets").EnumerateArray().Select(t => t.GetString()));
        var addresses = checkJson.Json.GetProperty("hosts")[0].GetProperty("addresses").EnumerateArray()
            .ToDictionary(a => a.GetProperty("address").GetString()!, a => a.GetProperty("verdict").GetString());
        Assert.Equal("ours (never delivered to)", addresses["192.0.1.30"]);
        Assert.Equal("use", addresses["2001:db8:ffff::2:1"]);
        var unknown = await Cli.RunAsync("dns", "check", "nxdomain.example", "--json", "--config", _config);
        Assert.Equal(1, unknown.Code);
        Assert.NotEqual("deliver", unknown.Json.GetProperty("verdict").GetString());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime, not IAsyncDisposable: xunit 2 never calls the latter on a test class, and
    // the node processes would outlive the test.
    public async Task DisposeAsync()
    {
        File.Delete(_config);
        if (_dns is not null) await _dns.DisposeAsync();
    }
}
