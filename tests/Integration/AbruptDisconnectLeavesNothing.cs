using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// A client that vanishes in the middle of DATA or of a BDAT chunk leaves nothing behind:
/// nothing spooled, nothing queued, nothing delivered. A complete message sent afterwards on
/// another connection is the only one that arrives.
/// </summary>
public sealed class AbruptDisconnectLeavesNothing
{
    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task Half_a_message_is_never_stored_or_delivered(AddressFamily family)
    {
        await using var node = await IngressNode.StartAsync();
        var big = new string('x', 900) + "\r\n";

        await using (var client = await node.OpenAsync(family))
        {
            await client.CommandAsync("EHLO client.example");
            await client.CommandAsync("MAIL FROM:<half-data@ip4only.example>");
            await client.CommandAsync("RCPT TO:<u@example.com>");
            Assert.StartsWith("354", await client.CommandAsync("DATA"));
            await client.SendAsync("Subject: half\r\n\r\n" + string.Concat(Enumerable.Repeat(big, 100)));
        } // gone, without "."

        await using (var client = await node.OpenAsync(family))
        {
            await client.CommandAsync("EHLO client.example");
            await client.CommandAsync("MAIL FROM:<half-bdat@ip4only.example>");
            await client.CommandAsync("RCPT TO:<u@example.com>");
            await client.SendAsync("BDAT 10\r\n0123456789");
            Assert.Equal("250 2.0.0 10 octets received", await client.ReadReplyAsync());
            await client.SendAsync("BDAT 100000 LAST\r\n" + big);
        } // gone in the middle of the last chunk

        await using (var client = await node.OpenAsync(family))
        {
            var reply = await client.SendMailAsync("whole@ip4only.example", ["u@example.com"], Encoding.ASCII.GetBytes("Subject: whole\r\n\r\nx\r\n.\r\n"));
            Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
        }

        var received = Assert.Single(await node.Sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal("whole@ip4only.example", received.Sender);
        await Eventually.Until(async () => await node.SpoolCountAsync() == 0, TimeSpan.FromSeconds(30), "the delivered message to leave the spool");
        Assert.Single(node.Node.MailLog.Lines, l => l.Contains(" received from"));
        Assert.Single(node.Sink.Messages);
    }
}
