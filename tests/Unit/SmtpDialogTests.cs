using System.Net;
using Tunnel.Cluster.Ingress;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Messages.Mail;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The RFC 5321 command sequence as transcripts: each line a command and the reply it must get,
/// written "code enhanced" (or the code alone where no enhanced code is sent: HELO/EHLO, 354).
/// Commands go through the real parser, as in the session.
/// </summary>
public sealed class SmtpDialogTests
{
    private const long MaxSize = 10_000_000;
    private const int MaxRecipients = 3;
    private static readonly DialogOptions Options = new("tunnel.example", MaxSize, MaxRecipients);
    private static readonly RelayPolicy Relay = new(new RelaySettings(new HashSet<string> { "ours.example", "xn--bcher-kva.example" }));

    public static readonly Dictionary<string, string[]> Transcripts = new()
    {
        ["a whole transaction"] =
        [
            "EHLO client.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "RCPT TO:<u@ours.example> → 250 2.1.5",
            "DATA → 354",
        ],
        ["HELO works as well as EHLO"] =
        [
            "HELO client.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "RCPT TO:<u@ours.example> → 250 2.1.5",
            "DATA → 354",
        ],
        ["null sender"] =
        [
            "EHLO client.example → 250",
            "MAIL FROM:<> → 250 2.1.0",
            "RCPT TO:<u@ours.example> → 250 2.1.5",
        ],
        ["MAIL before HELO"] = ["MAIL FROM:<a@sender.example> → 503 5.5.1"],
        ["RCPT before HELO"] = ["RCPT TO:<u@ours.example> → 503 5.5.1"],
        ["DATA before HELO"] = ["DATA → 503 5.5.1"],
        ["RCPT before MAIL"] = ["EHLO client.example → 250", "RCPT TO:<u@ours.example> → 503 5.5.1"],
        ["DATA before MAIL"] = ["EHLO client.example → 250", "DATA → 503 5.5.1"],
        ["DATA without RCPT"] = ["EHLO client.example → 250", "MAIL FROM:<a@sender.example> → 250 2.1.0", "DATA → 503 5.5.1"],
        ["DATA after only refused recipients"] =
        [
            "EHLO client.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "RCPT TO:<u@other.example> → 550 5.7.1",
            "DATA → 503 5.5.1",
        ],
        ["nested MAIL"] =
        [
            "EHLO client.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "MAIL FROM:<b@sender.example> → 503 5.5.1",
            "RCPT TO:<u@ours.example> → 250 2.1.5",
        ],
        ["RSET ends the transaction"] =
        [
            "EHLO client.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "RCPT TO:<u@ours.example> → 250 2.1.5",
            "RSET → 250 2.0.0",
            "RCPT TO:<u@ours.example> → 503 5.5.1",
            "DATA → 503 5.5.1",
            "MAIL FROM:<b@sender.example> → 250 2.1.0",
        ],
        ["RSET before HELO"] = ["RSET → 250 2.0.0", "MAIL FROM:<a@sender.example> → 503 5.5.1"],
        ["EHLO ends the transaction (RFC 5321 §4.1.4)"] =
        [
            "EHLO client.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "RCPT TO:<u@ours.example> → 250 2.1.5",
            "EHLO client.example → 250",
            "RCPT TO:<u@ours.example> → 503 5.5.1",
            "MAIL FROM:<b@sender.example> → 250 2.1.0",
        ],
        ["HELO ends the transaction"] =
        [
            "EHLO client.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "HELO client.example → 250",
            "DATA → 503 5.5.1",
        ],
        ["NOOP changes nothing"] =
        [
            "NOOP → 250 2.0.0",
            "EHLO client.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "NOOP → 250 2.0.0",
            "RCPT TO:<u@ours.example> → 250 2.1.5",
        ],
        ["unknown and unimplemented commands"] =
        [
            "XYZZY → 500 5.5.1",
            "EXPN list → 502 5.5.1",
            "AUTH PLAIN x → 502 5.5.1",
            "STARTTLS → 502 5.5.1", // no certificate configured: not offered, not implemented
            "VRFY u → 252 2.0.0",
            "HELP → 214 2.0.0",
            "EHLO client.example → 250",
        ],
        ["syntax errors leave the state alone"] =
        [
            "EHLO → 501 5.5.4",
            "EHLO client.example → 250",
            "MAIL FROM:junk → 501 5.1.7",
            "MAIL FROM:<a@sender.example> FOO=1 → 555 5.5.4",
            "MAIL FROM:<a@sender.example> SIZE=x → 501 5.5.4",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "RCPT TO:junk → 501 5.1.3",
            "RCPT TO:<> → 501 5.1.3",
            "RCPT TO:<u@ours.example> FOO=1 → 555 5.5.4",
            "RCPT TO:<u@ours.example> NOTIFY=NEVER,DELAY → 501 5.5.4",
            "RCPT TO:<u@ours.example> → 250 2.1.5",
            "DATA x → 501 5.5.4",
            "DATA → 354",
        ],
        // RFC 1870 §6: refuse at MAIL when the declared size is over the limit.
        ["SIZE at the limit"] = ["EHLO c.example → 250", $"MAIL FROM:<a@sender.example> SIZE={MaxSize} → 250 2.1.0"],
        ["SIZE over the limit"] =
        [
            "EHLO c.example → 250",
            $"MAIL FROM:<a@sender.example> SIZE={MaxSize + 1} → 552 5.3.4",
            "RCPT TO:<u@ours.example> → 503 5.5.1",
            "MAIL FROM:<a@sender.example> SIZE=100 → 250 2.1.0",
        ],
        ["SIZE over the limit with a null sender"] = ["EHLO c.example → 250", "MAIL FROM:<> SIZE=999999999999 → 552 5.3.4"],
        ["too many recipients"] =
        [
            "EHLO client.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "RCPT TO:<u1@ours.example> → 250 2.1.5",
            "RCPT TO:<u2@ours.example> → 250 2.1.5",
            "RCPT TO:<u3@ours.example> → 250 2.1.5",
            "RCPT TO:<u4@ours.example> → 452 4.5.3",
            "RCPT TO:<u5@ours.example> → 452 4.5.3",
            "DATA → 354",
        ],
        ["refused recipients do not count towards the limit"] =
        [
            "EHLO client.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "RCPT TO:<u@other.example> → 550 5.7.1",
            "RCPT TO:<u@other.example> → 550 5.7.1",
            "RCPT TO:<u@other.example> → 550 5.7.1",
            "RCPT TO:<u1@ours.example> → 250 2.1.5",
            "RCPT TO:<u2@ours.example> → 250 2.1.5",
            "RCPT TO:<u3@ours.example> → 250 2.1.5",
        ],
        ["the limit is per transaction"] =
        [
            "EHLO client.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "RCPT TO:<u1@ours.example> → 250 2.1.5",
            "RCPT TO:<u2@ours.example> → 250 2.1.5",
            "RCPT TO:<u3@ours.example> → 250 2.1.5",
            "RSET → 250 2.0.0",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "RCPT TO:<u4@ours.example> → 250 2.1.5",
        ],
        // RFC 6531 §3.4: a non-ASCII address needs MAIL FROM's SMTPUTF8 parameter (X.6.7 otherwise).
        ["non-ASCII sender local part without SMTPUTF8"] = ["EHLO c.example → 250", "MAIL FROM:<j\u00fcrgen@sender.example> → 553 5.6.7"],
        ["non-ASCII recipient local part without SMTPUTF8"] =
        [
            "EHLO c.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "RCPT TO:<j\u00fcrgen@ours.example> → 553 5.6.7",
            "RCPT TO:<juergen@ours.example> → 250 2.1.5",
        ],
        ["non-ASCII addresses with SMTPUTF8"] =
        [
            "EHLO c.example → 250",
            "MAIL FROM:<j\u00fcrgen@sender.example> SMTPUTF8 → 250 2.1.0",
            "RCPT TO:<\u7528\u6237@ours.example> → 250 2.1.5",
            "RCPT TO:<u@ours.example> ORCPT=utf-8;\u7528\u6237@ours.example → 250 2.1.5",
        ],
        ["raw UTF-8 ORCPT needs SMTPUTF8, escaped does not"] =
        [
            "EHLO c.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "RCPT TO:<u@ours.example> ORCPT=utf-8;\u7528@ours.example → 553 5.6.7",
            "RCPT TO:<u@ours.example> ORCPT=utf-8;\\x{7528}@ours.example → 250 2.1.5",
        ],
        // RFC 1869 / RFC 5321 §4.1.1.1: extensions (and so their parameters) need EHLO.
        ["parameters after HELO"] =
        [
            "HELO c.example → 250",
            "MAIL FROM:<a@sender.example> SIZE=10 → 555 5.5.4",
            "MAIL FROM:<a@sender.example> SMTPUTF8 → 555 5.5.4",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "RCPT TO:<u@ours.example> NOTIFY=NEVER → 555 5.5.4",
            "RCPT TO:<u@ours.example> → 250 2.1.5",
        ],
        ["DSN parameters"] =
        [
            "EHLO c.example → 250",
            "MAIL FROM:<a@sender.example> RET=HDRS ENVID=QQ314159 → 250 2.1.0",
            "RCPT TO:<u@ours.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;u+2Bx@ours.example → 250 2.1.5",
            "RCPT TO:<v@ours.example> NOTIFY=NEVER → 250 2.1.5",
            "RCPT TO:<w@ours.example> NOTIFY=NEVER,SUCCESS → 501 5.5.4",
            "RCPT TO:<w@ours.example> ORCPT=rfc822;bad+zz → 501 5.5.4",
        ],
        // RFC 3030 §2: BDAT chunks, LAST ends the data; DATA and BDAT do not mix.
        ["BDAT outside a transaction"] = ["EHLO c.example → 250", "BDAT 10 → 503 5.5.1"],
        ["BDAT without recipients"] = ["EHLO c.example → 250", "MAIL FROM:<a@sender.example> → 250 2.1.0", "BDAT 10 LAST → 503 5.5.1"],
        ["DATA after BDAT"] =
        [
            "EHLO c.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "RCPT TO:<u@ours.example> → 250 2.1.5",
            "BDAT 10 → (after the chunk)",
            "DATA → 503 5.5.1",
            "RCPT TO:<v@ours.example> → 503 5.5.1",
            "RSET → 250 2.0.0",
        ],
        ["BDAT with a size we cannot read ends the session"] = ["EHLO c.example → 250", "BDAT x → 501 5.5.4"],
        ["IDN domain is fine, as its A-label"] =
        [
            "EHLO c.example → 250",
            "MAIL FROM:<a@b\u00fccher.example> → 250 2.1.0",
            "RCPT TO:<u@B\u00dcCHER.example> → 250 2.1.5",
            "RCPT TO:<u@xn--bcher-kva.example> → 250 2.1.5",
        ],
        ["QUIT in the middle of a transaction"] =
        [
            "EHLO c.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "QUIT → 221 2.0.0",
        ],
        ["Postmaster without a domain is not relayed"] =
        [
            "EHLO c.example → 250",
            "MAIL FROM:<a@sender.example> → 250 2.1.0",
            "RCPT TO:<Postmaster> → 550 5.7.1",
        ],
    };

    public static TheoryData<string> TranscriptNames => new(Transcripts.Keys);

    [Theory]
    [MemberData(nameof(TranscriptNames))]
    public void Replies_follow_the_transcript(string name)
    {
        var dialog = new SmtpDialog(Options, Relay, IPAddress.Parse("198.51.100.7"));

        foreach (var step in Transcripts[name])
        {
            var (command, expected) = Split(step);
            Assert.Equal($"{command} → {expected}", $"{command} → {Describe(dialog.Handle(SmtpCommandParser.Parse(command)).Reply!)}");
        }
    }

    /// <summary>DESIGN: never an open relay. Whoever the client is, loopback included.</summary>
    [Theory]
    [InlineData("<u@ours.example>", "250 2.1.5")]
    [InlineData("<U.Ser@OURS.EXAMPLE.>", "250 2.1.5")]
    [InlineData("<\"quoted user\"@ours.example>", "250 2.1.5")]
    [InlineData("<@relay.example:u@ours.example>", "250 2.1.5")]
    [InlineData("<u@other.example>", "550 5.7.1")]
    [InlineData("<u@sub.ours.example>", "550 5.7.1")]
    [InlineData("<u@ours.example.other.example>", "550 5.7.1")]
    [InlineData("<u@[192.0.2.9]>", "550 5.7.1")]
    [InlineData("<u@[127.0.0.1]>", "550 5.7.1")]
    [InlineData("<u@[IPv6:2001:db8::1]>", "550 5.7.1")]
    [InlineData("<u@[IPv6:::1]>", "550 5.7.1")]
    [InlineData("<@ours.example:u@other.example>", "550 5.7.1")]
    [InlineData("<u%other.example@ours.example>", "550 5.7.1")]
    [InlineData("<other.example!u@ours.example>", "550 5.7.1")]
    [InlineData("<\"u@other.example\"@ours.example>", "550 5.7.1")]
    [InlineData("<\"u%other.example\"@ours.example>", "550 5.7.1")]
    [InlineData("<\"other.example!u\"@ours.example>", "550 5.7.1")]
    [InlineData("<\"u\\@other.example\"@ours.example>", "550 5.7.1")]
    public void Relay_decision_is_the_same_from_every_client(string path, string expected)
    {
        foreach (var client in new[] { "127.0.0.1", "::1", "::ffff:127.0.0.1", "192.0.2.1", "2001:db8::7" })
        {
            var dialog = new SmtpDialog(Options, Relay, IPAddress.Parse(client));
            dialog.Handle(SmtpCommandParser.Parse("EHLO c.example"));
            dialog.Handle(SmtpCommandParser.Parse("MAIL FROM:<a@sender.example>"));

            var reply = dialog.Handle(SmtpCommandParser.Parse($"RCPT TO:{path}")).Reply!;

            Assert.Equal($"{client}: {expected}", $"{client}: {Describe(reply)}");
        }
    }

    [Fact]
    public void EHLO_advertises_our_extensions_and_HELO_does_not()
    {
        var dialog = new SmtpDialog(Options, Relay, IPAddress.Loopback);

        var ehlo = dialog.Handle(new HelloCommand(true, "client.example"));

        Assert.Equal(250, ehlo.Reply!.Code);
        Assert.Null(ehlo.Reply!.Enhanced);
        Assert.Equal(SessionEffect.None, ehlo.Effect);
        Assert.Equal(["tunnel.example Hello client.example", "PIPELINING", $"SIZE {MaxSize}", "8BITMIME", "ENHANCEDSTATUSCODES",
                "SMTPUTF8", "DSN", "CHUNKING"],
            ehlo.Reply!.Text.Split('\n'));
        Assert.True(dialog.Extended);
        Assert.Equal("client.example", dialog.ClientName);

        var helo = dialog.Handle(new HelloCommand(false, "other.example"));

        Assert.Equal(new SmtpReply(250, null, "tunnel.example Hello other.example"), helo.Reply);
        Assert.False(dialog.Extended);
        Assert.Equal("other.example", dialog.ClientName);
    }

    [Fact]
    public void EHLO_reply_renders_as_a_multiline_reply()
    {
        var dialog = new SmtpDialog(Options, Relay, IPAddress.Loopback);

        var text = new System.Text.StringBuilder();
        dialog.Handle(new HelloCommand(true, "client.example")).Reply!.WriteTo(text);

        Assert.Equal("250-tunnel.example Hello client.example\r\n250-PIPELINING\r\n250-SIZE 10000000\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250-DSN\r\n250 CHUNKING\r\n",
            text.ToString());
    }

    [Fact]
    public void DATA_begins_data_and_QUIT_closes()
    {
        var dialog = Ready();
        dialog.Handle(SmtpCommandParser.Parse("RCPT TO:<u@ours.example>"));

        var data = dialog.Handle(SmtpCommandParser.Parse("DATA"));

        Assert.Equal(SessionEffect.BeginData, data.Effect);
        Assert.Equal(354, data.Reply!.Code);

        var quit = dialog.Handle(SmtpCommandParser.Parse("QUIT"));

        Assert.Equal(SessionEffect.Close, quit.Effect);
        Assert.Equal(new SmtpReply(221, "2.0.0", "tunnel.example closing connection"), quit.Reply);
    }

    [Theory]
    [InlineData("NOOP")]
    [InlineData("RSET")]
    [InlineData("EHLO c.example")]
    [InlineData("MAIL FROM:<a@sender.example>")]
    [InlineData("XYZZY")]
    [InlineData("DATA")]
    public void Only_DATA_BDAT_STARTTLS_RCPT_and_QUIT_have_an_effect(string command)
    {
        var dialog = new SmtpDialog(Options, Relay, IPAddress.Loopback);

        Assert.Equal(SessionEffect.None, dialog.Handle(SmtpCommandParser.Parse(command)).Effect);
    }

    [Fact]
    public void The_envelope_is_collected_and_ended_with_the_transaction()
    {
        var dialog = Ready("MAIL FROM:<A@Sender.Example> BODY=8BITMIME");
        dialog.Handle(SmtpCommandParser.Parse("RCPT TO:<u1@ours.example>"));
        dialog.Handle(SmtpCommandParser.Parse("RCPT TO:<u@other.example>"));
        dialog.Handle(SmtpCommandParser.Parse("RCPT TO:<u2@OURS.example>"));

        Assert.True(dialog.InTransaction);
        Assert.Equal(new Envelope(new Mailbox("A", "sender.example"), BodyType.EightBitMime), dialog.Envelope);
        Assert.Equal([new Recipient(new Mailbox("u1", "ours.example")), new Recipient(new Mailbox("u2", "ours.example"))], dialog.Recipients);

        dialog.EndTransaction();

        Assert.False(dialog.InTransaction);
        Assert.Null(dialog.Envelope);
        Assert.Empty(dialog.Recipients);
        Assert.Equal("c.example", dialog.ClientName); // the greeting outlives the transaction
        Assert.Equal(250, dialog.Handle(SmtpCommandParser.Parse("MAIL FROM:<>")).Reply!.Code);
        Assert.Null(dialog.Envelope!.Sender);
    }

    [Fact]
    public void A_refused_MAIL_leaves_no_sender_behind()
    {
        var dialog = new SmtpDialog(Options, Relay, IPAddress.Loopback);
        dialog.Handle(SmtpCommandParser.Parse("EHLO c.example"));

        dialog.Handle(SmtpCommandParser.Parse($"MAIL FROM:<a@sender.example> SIZE={MaxSize + 1}"));

        Assert.False(dialog.InTransaction);
        Assert.Null(dialog.Envelope);
    }

    [Fact]
    public void A_full_node_puts_MAIL_off_and_takes_it_again_when_it_has_room()
    {
        var dialog = new SmtpDialog(Options, Relay, IPAddress.Loopback);
        dialog.Handle(SmtpCommandParser.Parse("EHLO c.example"));

        dialog.Overloaded = true;
        var refused = dialog.Handle(SmtpCommandParser.Parse("MAIL FROM:<a@sender.example>")).Reply!;
        Assert.Equal((451, "4.3.1"), (refused.Code, refused.Enhanced));
        Assert.False(dialog.InTransaction);

        dialog.Overloaded = false;
        Assert.Equal(250, dialog.Handle(SmtpCommandParser.Parse("MAIL FROM:<a@sender.example>")).Reply!.Code);
    }

    private static SmtpDialog Ready(string mail = "MAIL FROM:<a@sender.example>")
    {
        var dialog = new SmtpDialog(Options, Relay, IPAddress.Loopback);
        dialog.Handle(SmtpCommandParser.Parse("EHLO c.example"));
        Assert.Equal(250, dialog.Handle(SmtpCommandParser.Parse(mail)).Reply!.Code);
        return dialog;
    }

    private static (string Command, string Expected) Split(string step)
    {
        var arrow = step.LastIndexOf(" → ", StringComparison.Ordinal);
        return (step[..arrow], step[(arrow + 3)..]);
    }

    private static string Describe(SmtpReply? reply) =>
        reply is null ? "(after the chunk)" : reply.Enhanced is null ? $"{reply.Code}" : $"{reply.Code} {reply.Enhanced}";
}
