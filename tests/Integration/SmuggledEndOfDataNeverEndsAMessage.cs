using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// SMTP smuggling (CVE-2023-51764/5/6): a client hides a second transaction behind an end of
/// data that some server reads and another does not. We read only CRLF "." CRLF as the end, and
/// refuse any message with a bare CR or LF at its real end (554 5.6.0), so no variant can make a
/// message of ours carry a sequence the next hop would read differently. Each variant over IPv4
/// and IPv6; the sink (the next hop) must never see the smuggled transaction.
/// </summary>
public sealed class SmuggledEndOfDataNeverEndsAMessage(SmuggledEndOfDataNeverEndsAMessage.Fixture fixture)
    : IClassFixture<SmuggledEndOfDataNeverEndsAMessage.Fixture>
{
    public sealed class Fixture() : IngressFixture();

    public static readonly TheoryData<string, AddressFamily> Variants = Cross(
        ["\n.\n", "\n.\r\n", "\r.\r", "\r.\r\n", "\r\n.\n", "\r\n.\r", "\n.\r", "\r\n.\r\r\n", "\r\n.\n\r\n", "\r\n\n.\n"]);

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task A_fake_end_of_data_is_content_and_the_message_is_refused(string fakeEnd, AddressFamily family)
    {
        var sender = $"s{Convert.ToHexString(Encoding.ASCII.GetBytes(fakeEnd))}-{family}@ip4only.example";
        await using var client = await fixture.Node.OpenAsync(family);
        await client.CommandAsync("EHLO client.example");
        Assert.StartsWith("250 2.1.0", await client.CommandAsync($"MAIL FROM:<{sender}>"));
        Assert.StartsWith("250 2.1.5", await client.CommandAsync("RCPT TO:<victim@example.com>"));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));

        // Everything up to the real CRLF.CRLF is one message; the smuggled commands are inside it.
        await client.SendAsync("Subject: first\r\n\r\nhello" + fakeEnd +
                               "MAIL FROM:<admin@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n");

        Assert.Equal("554 5.6.0 Error: message refused, bare <CR> or <LF> in data (lines must end with <CR><LF>)", await client.ReadReplyAsync());
        // Exactly one reply: the smuggled MAIL/RCPT/DATA were never commands.
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
        Assert.Equal("221 2.0.0 tunnel.test closing connection", await client.CommandAsync("QUIT"));
        Assert.DoesNotContain(fixture.Node.Node.MailLog.Lines, l => l.Contains($"from=<{sender}>"));
        Assert.Contains(fixture.Node.Node.MailLog.Lines, l => l.Contains("NOQUEUE: refused") && l.Contains("554 5.6.0"));
        Assert.DoesNotContain(fixture.Node.Sink.Messages, m => m.Sender == "admin@example.com" || m.Sender == sender);
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task A_dot_line_inside_BDAT_content_is_forwarded_stuffed_never_as_an_end(AddressFamily family)
    {
        // BDAT is framed by sizes; we forward with DATA, so "CRLF . CRLF" inside the content must
        // reach the next hop dot-stuffed, as content of the one message.
        var content = $"Subject: chunked {family}\r\n\r\nbefore\r\n.\r\nMAIL FROM:<admin@example.com>\r\n..two dots\r\n";
        var bytes = Encoding.ASCII.GetBytes(content);
        await using var client = await fixture.Node.OpenAsync(family);
        await client.CommandAsync("EHLO client.example");
        await client.CommandAsync("MAIL FROM:<a@ip4only.example>");
        await client.CommandAsync($"RCPT TO:<bdat-{family}@example.com>");
        await client.SendAsync($"BDAT {bytes.Length} LAST\r\n");
        await client.SendAsync(bytes);
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await client.ReadReplyAsync());

        await Eventually.Until(() => fixture.Node.Sink.Messages.Any(m => m.Recipients.Contains($"bdat-{family}@example.com")),
            TimeSpan.FromSeconds(30), "the chunked message to reach the next hop");
        var received = fixture.Node.Sink.Messages.Single(m => m.Recipients.Contains($"bdat-{family}@example.com"));
        Assert.EndsWith(content, received.Text);
        Assert.DoesNotContain(fixture.Node.Sink.Messages, m => m.Sender == "admin@example.com");
    }

    private static TheoryData<string, AddressFamily> Cross(string[] variants)
    {
        var data = new TheoryData<string, AddressFamily>();
        foreach (var variant in variants)
        {
            data.Add(variant, AddressFamily.InterNetwork);
            data.Add(variant, AddressFamily.InterNetworkV6);
        }
        return data;
    }
}
