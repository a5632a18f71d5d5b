using System.Net;
using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// The draft's §2.2 on loopback: mx1.example.com has the tunnel's IPv4 address as its A record
/// and its own IPv6 address as AAAA. An IPv4-only client hands mail for example.com to the
/// tunnel, which must deliver it to the IPv6 address, byte for byte, and never to itself.
/// </summary>
public sealed class DraftIpv4ToIpv6Delivery
{
    // The tunnel's own IPv4 address: mx1.example.com's A record points here.
    private const string TunnelV4 = "127.0.0.2";

    [Fact]
    public async Task Mail_from_an_IPv4_client_reaches_the_IPv6_only_MX_unchanged_and_never_loops()
    {
        await using var dns = await TestDnsServer.StartAsync();
        await using var sink = SinkMx.Start(IPAddress.IPv6Loopback);
        // Anything connecting to our own address on the MX port would be the loop the rule prevents.
        using var trap = TrapListener.Start(TunnelHocon.Endpoint(TunnelV4, sink.EndPoint.Port));
        dns.Zone.Mx("example.com", 1, "mx1.example.com")
            .A("mx1.example.com", TunnelV4)
            .Aaaa("mx1.example.com", "::1");
        await using var tunnel = await InProcessNode.StartAsync(TunnelHocon.For(dns, sink.EndPoint.Port,
            listen: $"\"{TunnelV4}:0\", \"[::1]:0\"", ownAddresses: $"\"{TunnelV4}\""));

        var content = Encoding.UTF8.GetBytes(
            "DKIM-Signature: v=1; a=rsa-sha256; d=ip4only.example; s=s1;\r\n" +
            "\th=from:to:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n" +
            "From: <sender@ip4only.example>\r\nTo: <user@example.com>\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n" +
            "\r\nGrüße über IPv4 nach IPv6.\r\n.a line that starts with a dot\r\n..and one with two\r\n  trailing spaces  \r\n");
        var stuffed = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(content)
            .Replace("\r\n.a line", "\r\n..a line").Replace("\r\n..and", "\r\n...and") + ".\r\n");

        var (client, greeting) = await RawSmtpClient.OpenAsync(tunnel.Smtp(AddressFamily.InterNetwork));
        await using (client)
        {
            Assert.StartsWith("220 tunnel.test", greeting);
            Assert.StartsWith("250", await client.CommandAsync("EHLO mx.ip4only.example"));
            Assert.Equal("250 2.1.0 Sender ok", await client.CommandAsync("MAIL FROM:<sender@ip4only.example> BODY=8BITMIME"));
            Assert.Equal("250 2.1.5 Recipient ok", await client.CommandAsync("RCPT TO:<user@example.com>"));
            Assert.Equal("550 5.7.1 Relaying denied", await client.CommandAsync("RCPT TO:<user@elsewhere.example>"));
            Assert.StartsWith("354", await client.CommandAsync("DATA"));
            await client.SendAsync(stuffed);
            var queued = await client.ReadReplyAsync();
            Assert.Matches("^250 2.0.0 Ok: queued as [0-9A-Z]{20}$", queued);
            var id = queued[^20..];
            Assert.Equal("221 2.0.0 tunnel.test closing connection", await client.CommandAsync("QUIT"));

            var received = Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
            await Eventually.Until(() => tunnel.MailLog.Lines.Any(l => l.Contains($"{id}: removed from example.com queue")),
                TimeSpan.FromSeconds(30), "the message to leave the queue");

            Assert.Single(sink.Messages); // exactly one copy, also after the queue settled
            Assert.Equal("sender@ip4only.example", received.Sender);
            Assert.Equal(["user@example.com"], received.Recipients);
            Assert.Contains("BODY=8BITMIME", received.MailFromLine);
            Assert.True(IPAddress.IsLoopback(received.Client.Address) && received.Client.AddressFamily == AddressFamily.InterNetworkV6,
                $"delivered from {received.Client}, expected IPv6 loopback");

            // Our Received header first, then the client's bytes exactly as sent (after unstuffing).
            var (header, rest) = SplitFirstHeader(received.Data);
            Assert.Equal(content, rest);
            Assert.StartsWith("Received: from mx.ip4only.example ([127.0.0.1])", header);
            Assert.Contains($"by tunnel.test (Tunnel) with ESMTP id {id}", header);
            Assert.Contains("for <user@example.com>;", header);

            Assert.Equal(0, trap.ConnectionCount);
            Assert.Contains(tunnel.MailLog.Lines, l => l.Contains($"{id}: to=<user@example.com>, relay=mx1.example.com[::1]:{sink.EndPoint.Port}") && l.Contains("status=sent"));
            await Eventually.Until(async () => await tunnel.Node.Spool.CountAsync(CancellationToken.None) == 0,
                TimeSpan.FromSeconds(10), "the spooled body to be deleted");
        }
    }

    /// <summary>Splits off the first header field (with its folded continuation lines).</summary>
    private static (string Header, byte[] Body) SplitFirstHeader(byte[] data)
    {
        var end = 0;
        while (true)
        {
            var lineEnd = Array.IndexOf(data, (byte)'\n', end) + 1;
            Assert.True(lineEnd > 0, "no header line found");
            end = lineEnd;
            if (end >= data.Length || (data[end] != ' ' && data[end] != '\t')) break;
        }
        return (Encoding.UTF8.GetString(data, 0, end), data[end..]);
    }
}
