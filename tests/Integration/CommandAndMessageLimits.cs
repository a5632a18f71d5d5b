using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Each configurable limit with its standard reply, over both families: recipients per message
/// (452 4.5.3), message size (552 5.3.4 at MAIL from SIZE= and after the data), command line
/// length (500 5.5.2; MAIL and RCPT get their extensions' allowance), text line length and NUL
/// in data (554 5.6.0), NUL in a command (500 5.5.2), bare LF in a command (500 5.5.2 and the
/// connection ends), errors per session (421 4.7.0), and the Received-header loop limit
/// (554 5.4.6).
/// </summary>
public sealed class CommandAndMessageLimits(CommandAndMessageLimits.Fixture fixture) : IClassFixture<CommandAndMessageLimits.Fixture>
{
    public sealed class Fixture() : IngressFixture("""
        tunnel.smtp {
          max-recipients = 3
          max-message-size = 2048
          max-errors = 3
          max-received-headers = 2
        }
        """);

    public static readonly TheoryData<AddressFamily> Families = new() { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 };

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Recipients_past_the_limit_get_452(AddressFamily family)
    {
        await using var client = await Transaction(family);
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<u2@example.com>"));
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<u3@example.com>"));

        Assert.Equal("452 4.5.3 Error: too many recipients", await client.CommandAsync("RCPT TO:<u4@example.com>"));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Message_size_is_refused_at_MAIL_and_after_the_data(AddressFamily family)
    {
        await using var client = await fixture.Node.OpenAsync(family);
        var ehlo = await client.CommandAsync("EHLO client.example");
        Assert.Contains("250-SIZE 2048", ehlo);
        Assert.Equal("552 5.3.4 Error: message exceeds fixed maximum message size of 2048 bytes",
            await client.CommandAsync("MAIL FROM:<a@ip4only.example> SIZE=2049"));
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<a@ip4only.example> SIZE=2048"));
        await client.CommandAsync("RCPT TO:<u@example.com>");
        await client.CommandAsync("DATA");

        await client.SendAsync(string.Concat(Enumerable.Repeat(new string('y', 98) + "\r\n", 30)) + ".\r\n");

        Assert.StartsWith("552 5.3.4", await client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP")); // still in step
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Text_lines_over_998_octets_and_NUL_in_data_refuse_the_message(AddressFamily family)
    {
        await using var client = await Transaction(family);
        await client.CommandAsync("DATA");
        await client.SendAsync("Subject: long\r\n\r\n" + new string('z', 999) + "\r\n.\r\n");
        Assert.Equal("554 5.6.0 Error: message refused, a text line is longer than 998 octets", await client.ReadReplyAsync());

        await client.CommandAsync("MAIL FROM:<a@ip4only.example>");
        await client.CommandAsync("RCPT TO:<u@example.com>");
        await client.CommandAsync("DATA");
        await client.SendAsync("Subject: nul\r\n\r\na\0b\r\n.\r\n");
        Assert.Equal("554 5.6.0 Error: message refused, NUL character in data", await client.ReadReplyAsync());
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Command_lines_have_their_length_limit_and_no_NUL(AddressFamily family)
    {
        await using var client = await fixture.Node.OpenAsync(family);
        await client.CommandAsync("EHLO client.example");

        Assert.Equal("500 5.5.2 Error: line too long", await client.CommandAsync("NOOP " + new string('x', 506)));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP " + new string('x', 505))); // 510 octets: the limit
        // MAIL and RCPT may be longer by what DSN's parameters need (RFC 3461 §4).
        Assert.StartsWith("250 2.1.0", await client.CommandAsync("MAIL FROM:<a@ip4only.example> RET=HDRS ENVID=" + new string('e', 100)));
        Assert.StartsWith("250 2.1.5", await client.CommandAsync("RCPT TO:<u@example.com> NOTIFY=FAILURE ORCPT=rfc822;" + new string('o', 480) + "@example.com")); // 545 octets
        Assert.Equal("500 5.5.2 Error: NUL character in command", await client.CommandAsync("NO\0OP"));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task A_bare_LF_in_a_command_ends_the_session_and_what_follows_is_never_run(AddressFamily family)
    {
        await using var client = await fixture.Node.OpenAsync(family);

        await client.SendAsync("NOOP\nQUIT\r\n");

        Assert.Equal("500 5.5.2 Error: bare <CR> or <LF> received, lines must end with <CR><LF>; closing connection", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedByServerAsync()); // and no 221: QUIT was not run
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Too_many_errors_end_the_session(AddressFamily family)
    {
        await using var client = await fixture.Node.OpenAsync(family);

        await client.SendAsync("XYZZY\r\nXYZZY\r\nMAIL FROM:<a@ip4only.example>\r\nXYZZY\r\nNOOP\r\n");

        Assert.Equal("500 5.5.1 Error: command not recognized", await client.ReadReplyAsync());
        Assert.Equal("500 5.5.1 Error: command not recognized", await client.ReadReplyAsync());
        Assert.Equal("503 5.5.1 Error: send HELO/EHLO first", await client.ReadReplyAsync());
        Assert.Equal("500 5.5.1 Error: command not recognized", await client.ReadReplyAsync());
        Assert.Equal("421 4.7.0 tunnel.test Error: too many errors", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task A_message_with_too_many_Received_headers_is_a_loop(AddressFamily family)
    {
        await using var client = await Transaction(family);
        await client.CommandAsync("DATA");
        await client.SendAsync("Received: from a\r\nReceived: from b\r\nReceived: from c\r\nSubject: loop\r\n\r\nx\r\n.\r\n");

        Assert.Equal("554 5.4.6 Error: message refused, too many Received headers (mail loop)", await client.ReadReplyAsync());

        await client.CommandAsync("MAIL FROM:<a@ip4only.example>");
        await client.CommandAsync($"RCPT TO:<two-hops-{family}@example.com>");
        await client.CommandAsync("DATA");
        await client.SendAsync("Received: from a\r\nReceived: from b\r\nSubject: fine\r\n\r\nx\r\n.\r\n");
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await client.ReadReplyAsync());
    }

    private async Task<RawSmtpClient> Transaction(AddressFamily family)
    {
        var client = await fixture.Node.OpenAsync(family);
        await client.CommandAsync("EHLO client.example");
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<a@ip4only.example>"));
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<u@example.com>"));
        return client;
    }
}
