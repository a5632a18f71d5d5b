using System.Net;
using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 13, item 8 (backscatter): with <c>tunnel.relay.verify-recipients = on</c> the real MX
/// of a tunneled domain is asked at RCPT whether it takes the recipient (MAIL FROM:&lt;&gt;, RCPT,
/// RSET; never DATA). One it refuses gets 550 5.1.1 at once, so no bounce ever goes to a sender
/// who may be forged; one it takes is accepted and delivered; the answer is remembered, so a
/// second RCPT asks nothing. When the MX cannot be reached the recipient is accepted (the
/// default) or gets 450 4.1.1 (<c>when-unknown = defer</c>). Before, any local part of a tunneled
/// domain was accepted and an unknown one bounced to its sender after the fact.
/// </summary>
public sealed class RecipientVerificationStopsBackscatter
{
    [Fact]
    public async Task An_unknown_recipient_is_refused_at_rcpt_and_a_known_one_is_delivered()
    {
        await using var world = await TunnelWorld.StartAsync("relay.verify-recipients = on");
        var (client, _) = await RawSmtpClient.OpenAsync(world.Tunnel.Smtp(AddressFamily.InterNetwork));
        await using (client)
        {
            await client.CommandAsync("EHLO ip4only.example");
            Assert.StartsWith("250", await client.CommandAsync($"MAIL FROM:<{TunnelWorld.Sender}>"));
            Assert.StartsWith("550 5.1.1 <permfail@example.com>: Recipient address rejected: undeliverable address: 550",
                await client.CommandAsync("RCPT TO:<permfail@example.com>"));
            Assert.Equal("250 2.1.5 Recipient ok", await client.CommandAsync("RCPT TO:<known@example.com>"));
            Assert.StartsWith("354", await client.CommandAsync("DATA"));
            await client.SendAsync(Encoding.ASCII.GetBytes("Subject: verified\r\n\r\nhello\r\n.\r\n"));
            Assert.StartsWith("250 2.0.0 Ok: queued as", await client.ReadReplyAsync());
            var probes = world.ExampleCom.Resets;

            Assert.StartsWith("250", await client.CommandAsync($"MAIL FROM:<{TunnelWorld.Sender}>"));
            Assert.Equal("250 2.1.5 Recipient ok", await client.CommandAsync("RCPT TO:<known@example.com>"));
            Assert.StartsWith("550 5.1.1", await client.CommandAsync("RCPT TO:<permfail@example.com>"));
            Assert.Equal(probes, world.ExampleCom.Resets); // both answers came from the cache
        }

        var delivered = Assert.Single(await world.ExampleCom.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal(["known@example.com"], delivered.Recipients);
        Assert.Contains(world.Tunnel.MailLog.Lines, l => l.Contains("NOQUEUE: refused") && l.Contains("to=<permfail@example.com>"));
        Assert.Empty(world.SenderMx.Messages); // no bounce for anyone
    }

    [Theory]
    [InlineData("accept", "250 2.1.5 Recipient ok")]
    [InlineData("defer", "450 4.1.1 <anyone@example.org>: Recipient address rejected: unverified address:")]
    public async Task When_the_mx_cannot_be_asked_the_recipient_is_accepted_or_deferred_as_configured(string whenUnknown, string expected)
    {
        SinkMx? down = null;
        await using var world = await TunnelWorld.StartAsync($"relay.verify-recipients = on\nrelay.recipient-verification.when-unknown = {whenUnknown}",
            zone: (zone, port) =>
            {
                down = SinkMx.BindOnly(new IPEndPoint(IPAddress.Parse("127.0.0.6"), port)); // refuses connections
                zone.Mx("example.org", 10, "mx.example.org").A("mx.example.org", "127.0.0.6");
            });
        await using var _ = down!;
        var (client, _) = await RawSmtpClient.OpenAsync(world.Tunnel.Smtp(AddressFamily.InterNetwork));
        await using (client)
        {
            await client.CommandAsync("EHLO ip4only.example");
            await client.CommandAsync($"MAIL FROM:<{TunnelWorld.Sender}>");
            Assert.StartsWith(expected, await client.CommandAsync("RCPT TO:<anyone@example.org>"));
        }
    }
}
