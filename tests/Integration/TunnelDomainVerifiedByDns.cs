using System.Net.Sockets;
using ARSoft.Tools.Net.Dns;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// tunnel.relay.verify-mx: a domain configured nowhere at the tunnel is accepted because its MX
/// host publishes our public address (127.0.0.9, the draft's A record) beside its own IPv6
/// address, and the mail reaches that IPv6 address. A domain that only points at us, or not at
/// us, is refused; a DNS failure is "try again" (451 4.4.3), not 550, also when only the MX
/// host's AAAA fails (issue 13, item 1); answers are cached.
/// </summary>
public sealed class TunnelDomainVerifiedByDns(TunnelDomainVerifiedByDns.Fixture fixture) : IClassFixture<TunnelDomainVerifiedByDns.Fixture>
{
    public sealed class Fixture() : IngressFixture("""
        tunnel.relay.verify-mx = on
        tunnel.public-addresses = ["127.0.0.9"]
        """);

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task A_domain_whose_MX_publishes_our_address_is_accepted_and_delivered(AddressFamily family)
    {
        var domain = $"tunneled-{(family == AddressFamily.InterNetwork ? 4 : 6)}.example";
        fixture.Node.Dns.Zone.Mx(domain, 10, $"mx1.{domain}").A($"mx1.{domain}", "127.0.0.9").Aaaa($"mx1.{domain}", "::1");
        await using var client = await fixture.Node.OpenAsync(family);

        var reply = await client.SendMailAsync("a@ip4only.example", [$"user@{domain}"], "Subject: verified\r\n\r\nx\r\n.\r\n"u8.ToArray());

        Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
        await Eventually.Until(() => fixture.Node.Sink.Messages.Any(m => m.Recipients.Contains($"user@{domain}")),
            TimeSpan.FromSeconds(30), "the message to reach the real server's IPv6 address");
    }

    [Fact]
    public async Task Refusals_and_DNS_trouble_each_get_their_reply_in_pipelined_order()
    {
        var zone = fixture.Node.Dns.Zone;
        zone.Mx("onlyus.example", 10, "mx.onlyus.example").A("mx.onlyus.example", "127.0.0.9");          // nowhere to go
        zone.Mx("notus.example", 10, "mx.notus.example").A("mx.notus.example", "127.0.0.8").Aaaa("mx.notus.example", "::1");
        zone.ServFail("broken.example");
        zone.Mx("pipelined.example", 10, "mx.pipelined.example").A("mx.pipelined.example", "127.0.0.9").Aaaa("mx.pipelined.example", "::1");
        await using var client = await fixture.Node.OpenAsync(AddressFamily.InterNetwork);
        await client.CommandAsync("EHLO client.example");

        await client.SendAsync("MAIL FROM:<a@ip4only.example>\r\nRCPT TO:<u@onlyus.example>\r\nRCPT TO:<u@notus.example>\r\n" +
                               "RCPT TO:<u@broken.example>\r\nRCPT TO:<u@nxdomain.example>\r\nRCPT TO:<u@pipelined.example>\r\nRSET\r\n");

        Assert.StartsWith("250 2.1.0", await client.ReadReplyAsync());
        Assert.Equal("550 5.7.1 Relaying denied", await client.ReadReplyAsync());
        Assert.Equal("550 5.7.1 Relaying denied", await client.ReadReplyAsync());
        Assert.StartsWith("451 4.4.3 ", await client.ReadReplyAsync());
        Assert.Equal("550 5.7.1 Relaying denied", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.5 Recipient ok", await client.ReadReplyAsync());
        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());
    }

    /// <summary>
    /// The draft's MX host whose A (our address) answers while its AAAA times out or SERVFAILs:
    /// the domain may well be tunneled, DNS cannot say now. On main: "550 5.7.1 Relaying denied".
    /// The timed-out case waits ~6 s (dns.timeout = 2s, 3 tries; the RCPT is answered after it).
    /// </summary>
    [Theory]
    [InlineData(DnsFault.NoAnswer)]
    [InlineData(DnsFault.ServFail)]
    public async Task A_failing_AAAA_lookup_of_the_MX_host_is_try_again_not_refused(DnsFault fault)
    {
        var domain = $"half-{fault}.example".ToLowerInvariant();
        fixture.Node.Dns.Zone.Mx(domain, 10, $"mx1.{domain}").A($"mx1.{domain}", "127.0.0.9").Aaaa($"mx1.{domain}", "::1")
            .Fault($"mx1.{domain}", RecordType.Aaaa, fault);
        await using var client = await fixture.Node.OpenAsync(AddressFamily.InterNetwork);
        await client.CommandAsync("EHLO client.example");
        await client.CommandAsync("MAIL FROM:<a@ip4only.example>");

        Assert.StartsWith("451 4.4.3 ", await client.CommandAsync($"RCPT TO:<u@{domain}>"));

        fixture.Node.Dns.Zone.Heal($"mx1.{domain}", RecordType.Aaaa);
        Assert.Equal("250 2.1.5 Recipient ok", await client.CommandAsync($"RCPT TO:<u@{domain}>"));
    }

    [Fact]
    public async Task Answers_are_cached_for_their_TTL()
    {
        fixture.Node.Dns.Zone.Mx("cached.example", 10, "mx.cached.example", ttl: 300)
            .A("mx.cached.example", "127.0.0.9", ttl: 300).Aaaa("mx.cached.example", "::1", ttl: 300);
        await using var client = await fixture.Node.OpenAsync(AddressFamily.InterNetworkV6);
        await client.CommandAsync("EHLO client.example");
        await client.CommandAsync("MAIL FROM:<a@ip4only.example>");
        Assert.StartsWith("250 2.1.5", await client.CommandAsync("RCPT TO:<one@cached.example>"));
        var queries = fixture.Node.Dns.QueryCount;

        Assert.StartsWith("250 2.1.5", await client.CommandAsync("RCPT TO:<two@cached.example>"));
        Assert.StartsWith("250 2.1.5", await client.CommandAsync("RCPT TO:<three@CACHED.example.>"));

        Assert.Equal(queries, fixture.Node.Dns.QueryCount);
    }
}
