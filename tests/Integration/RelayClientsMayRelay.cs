using System.Net;
using System.Net.Sockets;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// The draft's §2.3: a server in tunnel.relay.clients uses the tunnel as its relay host and may
/// send to any domain; the same request from outside those networks is refused. Here 127.0.0.0/8
/// is authorised and ::1 is not, so the two families must get opposite answers.
/// </summary>
public sealed class RelayClientsMayRelay(RelayClientsMayRelay.Fixture fixture) : IClassFixture<RelayClientsMayRelay.Fixture>
{
    public sealed class Fixture() : IngressFixture("tunnel.relay.clients = [\"127.0.0.0/8\"]");

    [Fact]
    public async Task An_authorised_IPv4_client_relays_to_any_domain()
    {
        fixture.Node.Dns.Zone.Mx("ipv4only.example", 10, "mx.ipv4only.example").Aaaa("mx.ipv4only.example", "::1");
        await using var client = await fixture.Node.OpenAsync(AddressFamily.InterNetwork);

        var reply = await client.SendMailAsync("a@ip6only.example", ["user@ipv4only.example"],
            "Subject: relayed\r\n\r\nvia the tunnel\r\n.\r\n"u8.ToArray());

        Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
        await Eventually.Until(() => fixture.Node.Sink.Messages.Any(m => m.Recipients.Contains("user@ipv4only.example")),
            TimeSpan.FromSeconds(30), "the relayed message to reach ipv4only.example's MX");
    }

    [Fact]
    public async Task Address_literals_are_refused_even_for_an_authorised_client()
    {
        await using var client = await fixture.Node.OpenAsync(AddressFamily.InterNetwork);
        await client.CommandAsync("EHLO client.example");
        await client.CommandAsync("MAIL FROM:<a@ip6only.example>");

        Assert.StartsWith("550 5.7.1", await client.CommandAsync("RCPT TO:<u@[192.0.2.9]>"));
        Assert.StartsWith("550 5.7.1", await client.CommandAsync("RCPT TO:<u@[IPv6:2001:db8::1]>"));
    }

    [Fact]
    public async Task A_client_outside_the_networks_is_refused()
    {
        await using var client = await fixture.Node.OpenAsync(AddressFamily.InterNetworkV6);
        await client.CommandAsync("EHLO client.example");
        await client.CommandAsync("MAIL FROM:<a@ip6only.example>");

        Assert.Equal("550 5.7.1 Relaying denied", await client.CommandAsync("RCPT TO:<user@ipv4only.example>"));
        Assert.StartsWith("250 2.1.5", await client.CommandAsync("RCPT TO:<user@example.com>")); // its own domains still work
    }
}
