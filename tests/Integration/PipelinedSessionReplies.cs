using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// RFC 2920: a client may send a whole session in one write; every command gets its reply, in
/// order, and the replies come without the client having to wait for each. Also the plain
/// protocol answers: EHLO's extensions (no STARTTLS without a certificate), VRFY 252, HELP 214,
/// unknown 500 5.5.1, sequence errors 503 5.5.1, syntax errors 501 5.5.4, each with an
/// enhanced status code.
/// </summary>
public sealed class PipelinedSessionReplies(PipelinedSessionReplies.Fixture fixture) : IClassFixture<PipelinedSessionReplies.Fixture>
{
    public sealed class Fixture() : IngressFixture();

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task Two_transactions_in_one_write_get_every_reply_in_order(AddressFamily family)
    {
        await using var client = await fixture.Node.OpenAsync(family);

        await client.SendAsync(
            "EHLO pipe.example\r\n" +
            $"MAIL FROM:<p1-{family}@ip4only.example>\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<b@elsewhere.example>\r\nDATA\r\n" +
            "Subject: one\r\n\r\n..dot\r\n.\r\n" +
            $"MAIL FROM:<p2-{family}@ip4only.example>\r\nRCPT TO:<c@example.com>\r\nBDAT 14 LAST\r\nSubject: two\r\n" +
            "NOOP\r\nQUIT\r\n");

        Assert.StartsWith("250-tunnel.test Hello pipe.example", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.0 Sender ok", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.5 Recipient ok", await client.ReadReplyAsync());
        Assert.Equal("550 5.7.1 Relaying denied", await client.ReadReplyAsync());
        Assert.Equal("354 End data with <CR><LF>.<CR><LF>", await client.ReadReplyAsync());
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.0 Sender ok", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.5 Recipient ok", await client.ReadReplyAsync());
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await client.ReadReplyAsync());
        Assert.Equal("221 2.0.0 tunnel.test closing connection", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedByServerAsync());

        await Eventually.Until(() => fixture.Node.Sink.Messages.Count(m => m.Sender?.StartsWith($"p") == true && m.Sender.EndsWith($"-{family}@ip4only.example")) == 2,
            TimeSpan.FromSeconds(30), "both pipelined messages to arrive");
        var first = fixture.Node.Sink.Messages.Single(m => m.Sender == $"p1-{family}@ip4only.example");
        Assert.EndsWith("Subject: one\r\n\r\n.dot\r\n", first.Text);
        var second = fixture.Node.Sink.Messages.Single(m => m.Sender == $"p2-{family}@ip4only.example");
        Assert.EndsWith("Subject: two\r\n", second.Text);
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task Each_command_gets_its_standard_reply(AddressFamily family)
    {
        await using var client = await fixture.Node.OpenAsync(family);

        Assert.Equal("503 5.5.1 Error: send HELO/EHLO first", await client.CommandAsync("MAIL FROM:<a@ip4only.example>"));
        Assert.Equal("501 5.5.4 Syntax: EHLO hostname", await client.CommandAsync("EHLO"));
        var ehlo = await client.CommandAsync("EHLO client.example");
        Assert.Equal(["250-tunnel.test Hello client.example", "250-PIPELINING", $"250-SIZE {36700160}", "250-8BITMIME",
            "250-ENHANCEDSTATUSCODES", "250-SMTPUTF8", "250-DSN", "250 CHUNKING"], ehlo.Split('\n'));
        Assert.Equal("502 5.5.1 Error: command not implemented", await client.CommandAsync("STARTTLS"));
        Assert.StartsWith("252 2.0.0 ", await client.CommandAsync("VRFY postmaster"));
        Assert.StartsWith("214 2.0.0 ", (await client.CommandAsync("HELP")).Split('\n')[^1]);
        Assert.Equal("500 5.5.1 Error: command not recognized", await client.CommandAsync("XYZZY"));
        Assert.Equal("503 5.5.1 Error: need MAIL command", await client.CommandAsync("RCPT TO:<u@example.com>"));
        Assert.Equal("503 5.5.1 Error: need MAIL command", await client.CommandAsync("DATA"));
        Assert.Equal("250 2.0.0 Reset state", await client.CommandAsync("RSET"));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
        Assert.Equal("221 2.0.0 tunnel.test closing connection", await client.CommandAsync("QUIT"));
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task UTF8_addresses_and_DSN_parameters_are_accepted_and_the_mail_delivered(AddressFamily family)
    {
        var recipient = $"\u7528\u6237-{(family == AddressFamily.InterNetwork ? 4 : 6)}@example.com";
        await using var client = await fixture.Node.OpenAsync(family);
        await client.CommandAsync("EHLO client.example");

        Assert.Equal("553 5.6.7 Error: non-ASCII address or ORCPT requires MAIL FROM with SMTPUTF8 (RFC 6531)",
            await client.CommandAsync("MAIL FROM:<j\u00fcrgen@ip4only.example>"));
        Assert.StartsWith("250 2.1.0", await client.CommandAsync("MAIL FROM:<j\u00fcrgen@ip4only.example> SMTPUTF8 RET=HDRS ENVID=QQ314159"));
        Assert.StartsWith("250 2.1.5", await client.CommandAsync($"RCPT TO:<{recipient}> NOTIFY=SUCCESS,FAILURE ORCPT=utf-8;{recipient}"));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        await client.SendAsync(Encoding.UTF8.GetBytes("Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nGr\u00fc\u00dfe\r\n.\r\n"));
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await client.ReadReplyAsync());

        await Eventually.Until(() => fixture.Node.Sink.Messages.Any(m => m.Recipients.Contains(recipient)),
            TimeSpan.FromSeconds(30), "the UTF-8 addressed message to arrive");
        var received = fixture.Node.Sink.Messages.Single(m => m.Recipients.Contains(recipient));
        Assert.Equal("j\u00fcrgen@ip4only.example", received.Sender);
        Assert.Contains("by tunnel.test (Tunnel) with UTF8SMTP id ", received.Text);
    }
}
