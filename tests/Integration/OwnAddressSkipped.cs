using System.Net;
using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// An MX host whose first address is ours and second is foreign (same family, so no
/// family preference can hide a broken exclusion): the tunnel skips itself and delivers to the
/// foreign address. Also: a listen endpoint is ours only on its own port.
/// </summary>
public sealed class OwnAddressSkipped
{
    [Fact]
    public async Task Our_own_address_in_an_MX_host_is_skipped_and_the_foreign_one_used()
    {
        await using var dns = await TestDnsServer.StartAsync();
        await using var sink = SinkMx.Start(IPAddress.Parse("127.0.0.3"));
        using var trap = TrapListener.Start(TunnelHocon.Endpoint("127.0.0.4", sink.EndPoint.Port));
        dns.Zone.Mx("example.org", 1, "mx1.example.org")
            .A("mx1.example.org", "127.0.0.4")   // ours (tunnel.own-addresses), listed first
            .A("mx1.example.org", "127.0.0.3");  // the real server
        await using var tunnel = await InProcessNode.StartAsync(TunnelHocon.For(dns, sink.EndPoint.Port,
            listen: "\"127.0.0.4:0\"", ownAddresses: "\"127.0.0.4\""));

        var (client, _) = await RawSmtpClient.OpenAsync(tunnel.Smtp(AddressFamily.InterNetwork));
        await using (client)
        {
            var reply = await client.SendMailAsync("a@ip4only.example", ["b@example.org"], Encoding.ASCII.GetBytes("Subject: x\r\n\r\nx\r\n.\r\n"));
            Assert.StartsWith("250 2.0.0 Ok: queued as", reply);
        }

        var received = Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal(["b@example.org"], received.Recipients);
        Assert.Equal(0, trap.ConnectionCount);
    }
}
