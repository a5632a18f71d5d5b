using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Messages.Mail;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// One command line in, one command (or the reply that refuses it) out. Each row shows the line
/// and the parsed command written compactly: "MAIL &lt;a@b&gt; SIZE=1 BODY=EightBitMime",
/// "RCPT &lt;a@b&gt;", a verb, or a refusal as "code enhanced".
/// </summary>
public sealed class SmtpCommandParserTests
{
    [Theory]
    [InlineData("EHLO client.example", "EHLO client.example")]
    [InlineData("ehlo client.example", "EHLO client.example")]
    [InlineData("HELO client.example", "HELO client.example")]
    [InlineData("HeLo client.example", "HELO client.example")]
    [InlineData("EHLO [192.0.2.1]", "EHLO [192.0.2.1]")]
    [InlineData("EHLO [IPv6:2001:db8::1]", "EHLO [IPv6:2001:db8::1]")]
    [InlineData("EHLO client.example ", "EHLO client.example")]
    [InlineData("EHLO", "501 5.5.4")]
    [InlineData("EHLO ", "501 5.5.4")]
    [InlineData("HELO", "501 5.5.4")]
    [InlineData("EHLO two words", "501 5.5.4")]
    [InlineData("EHLO bad\u0001name", "501 5.5.4")]
    [InlineData("DATA", "Data")]
    [InlineData("data", "Data")]
    [InlineData("DATA now", "501 5.5.4")]
    [InlineData("DATA ", "Data")] // a trailing space is tolerated (found by the fuzzer, whose oracle assumed otherwise)
    [InlineData("RSET", "Rset")]
    [InlineData("rset", "Rset")]
    [InlineData("RSET all", "501 5.5.4")]
    [InlineData("QUIT", "Quit")]
    [InlineData("Quit", "Quit")]
    [InlineData("QUIT now", "501 5.5.4")]
    [InlineData("NOOP", "Noop")]
    [InlineData("noop", "Noop")]
    [InlineData("NOOP any string at all", "Noop")] // RFC 5321 §4.1.1.9
    [InlineData("VRFY postmaster", "Vrfy")]
    [InlineData("VRFY", "501 5.5.4")]
    [InlineData("EXPN list", "NotImplemented")]
    [InlineData("HELP", "Help")]
    [InlineData("help me", "Help")]
    [InlineData("STARTTLS", "StartTls")]
    [InlineData("starttls", "StartTls")]
    [InlineData("STARTTLS now", "501 5.5.4")] // RFC 3207 §4: no parameters
    // RFC 3030 §2: BDAT SP chunk-size [SP "LAST"].
    [InlineData("BDAT 100 LAST", "BDAT 100 LAST")]
    [InlineData("BDAT 100 last", "BDAT 100 LAST")]
    [InlineData("BDAT 0 LAST", "BDAT 0 LAST")]
    [InlineData("BDAT 4096", "BDAT 4096")]
    [InlineData("BDAT 100 FIRST", "501 5.5.4")]  // the size is known: the chunk can still be skipped
    [InlineData("BDAT 100 LAST x", "501 5.5.4")]
    [InlineData("BDAT", "501 5.5.4 fatal")]      // no size: the chunk's end is unknown
    [InlineData("BDAT x LAST", "501 5.5.4 fatal")]
    [InlineData("BDAT -1", "501 5.5.4 fatal")]
    [InlineData("BDAT 1e3", "501 5.5.4 fatal")]
    [InlineData("BDAT  100", "501 5.5.4 fatal")]
    [InlineData("BDAT 9999999999999999999", "501 5.5.4 fatal")]
    [InlineData("ETRN example.com", "NotImplemented")]
    [InlineData("AUTH PLAIN AHVzZXIAcGFzcw==", "NotImplemented")]
    [InlineData("TURN", "NotImplemented")]
    [InlineData("ATRN", "NotImplemented")]
    [InlineData("", "Unknown")]
    [InlineData(" ", "Unknown")]
    [InlineData("XYZZY", "Unknown")]
    [InlineData("MAILFROM:<a@b.example>", "Unknown")]
    [InlineData("GET / HTTP/1.1", "Unknown")]
    [InlineData(" NOOP", "Unknown")]
    public void Verbs(string line, string expected) => Assert.Equal(expected, Describe(SmtpCommandParser.Parse(line)));

    [Theory]
    [InlineData("MAIL FROM:<a@b.example>", "MAIL <a@b.example>")]
    [InlineData("mail from:<a@b.example>", "MAIL <a@b.example>")]
    [InlineData("Mail From:<a@b.example>", "MAIL <a@b.example>")]
    [InlineData("MAIL FROM: <a@b.example>", "MAIL <a@b.example>")] // space after the colon tolerated
    [InlineData("MAIL FROM:<>", "MAIL <>")]                       // null reverse-path (RFC 5321 §4.5.5)
    [InlineData("MAIL FROM: <>", "MAIL <>")]
    [InlineData("MAIL FROM:<A.User@B.EXAMPLE>", "MAIL <A.User@b.example>")]
    [InlineData("MAIL FROM:<@relay.example:a@b.example>", "MAIL <a@b.example>")]
    [InlineData("MAIL FROM:<a@b.example> SIZE=1000", "MAIL <a@b.example> SIZE=1000")]
    [InlineData("MAIL FROM:<a@b.example> size=0", "MAIL <a@b.example> SIZE=0")]
    [InlineData("MAIL FROM:<a@b.example> SIZE=999999999999999999", "MAIL <a@b.example> SIZE=999999999999999999")]
    [InlineData("MAIL FROM:<a@b.example> BODY=7BIT", "MAIL <a@b.example> BODY=SevenBit")]
    [InlineData("MAIL FROM:<a@b.example> BODY=8BITMIME", "MAIL <a@b.example> BODY=EightBitMime")]
    [InlineData("MAIL FROM:<a@b.example> body=8bitmime", "MAIL <a@b.example> BODY=EightBitMime")]
    [InlineData("MAIL FROM:<a@b.example> SIZE=10 BODY=8BITMIME", "MAIL <a@b.example> SIZE=10 BODY=EightBitMime")]
    [InlineData("MAIL FROM:<a@b.example> BODY=7BIT SIZE=10", "MAIL <a@b.example> SIZE=10 BODY=SevenBit")]
    [InlineData("MAIL FROM:<> SIZE=10", "MAIL <> SIZE=10")]
    // The envelope is refused: 501 with the sender-address enhanced code (RFC 3463 X.1.7).
    [InlineData("MAIL FROM:a@b.example", "501 5.1.7")]
    [InlineData("MAIL FROM:<a@b.example", "501 5.1.7")]
    [InlineData("MAIL FROM:", "501 5.1.7")]
    [InlineData("MAIL FROM:<a>", "501 5.1.7")]
    [InlineData("MAIL FROM:<a@>", "501 5.1.7")]
    [InlineData("MAIL FROM:<a@b..example>", "501 5.1.7")]
    [InlineData("MAIL FROM:  <a@b.example>", "501 5.1.7")] // one space tolerated, not two
    // No "FROM:" keyword.
    [InlineData("MAIL", "501 5.5.4")]
    [InlineData("MAIL TO:<a@b.example>", "501 5.5.4")]
    [InlineData("MAIL FROM<a@b.example>", "501 5.5.4")]
    [InlineData("MAIL FROM :<a@b.example>", "501 5.5.4")]
    // Parameters: unknown ones 555 (RFC 5321 §4.1.1.11), malformed ones 501.
    [InlineData("MAIL FROM:<a@b.example> FOO=bar", "555 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> SMTPUTF8", "MAIL <a@b.example> SMTPUTF8")]
    [InlineData("MAIL FROM:<a@b.example> smtputf8", "MAIL <a@b.example> SMTPUTF8")]
    [InlineData("MAIL FROM:<a@b.example> SMTPUTF8=yes", "501 5.5.4")]
    [InlineData("MAIL FROM:<j\u00fcrgen@b\u00fccher.example> SMTPUTF8", "MAIL <j\u00fcrgen@xn--bcher-kva.example> SMTPUTF8")]
    // DSN (RFC 3461 §4.3, §4.4): RET and ENVID, the ENVID xtext-decoded.
    [InlineData("MAIL FROM:<a@b.example> RET=HDRS", "MAIL <a@b.example> RET=Headers")]
    [InlineData("MAIL FROM:<a@b.example> ret=full", "MAIL <a@b.example> RET=Full")]
    [InlineData("MAIL FROM:<a@b.example> RET=BODY", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> ENVID=QQ314159", "MAIL <a@b.example> ENVID=QQ314159")]
    [InlineData("MAIL FROM:<a@b.example> ENVID=a+2Bb+3Dc", "MAIL <a@b.example> ENVID=a+b=c")]
    [InlineData("MAIL FROM:<a@b.example> ENVID=a+2bb", "501 5.5.4")]   // hex must be upper case
    [InlineData("MAIL FROM:<a@b.example> ENVID=a+2", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> ENVID=a+0Db", "501 5.5.4")]  // decodes to a control character
    [InlineData("MAIL FROM:<a@b.example> ENVID=\u00e9", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> RET=FULL RET=HDRS", "501 5.5.4")] // twice
    [InlineData("MAIL FROM:<a@b.example> SIZE=1 size=2", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> AUTH=<>", "555 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> SIZE=10 X-UNKNOWN", "555 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> SIZE", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> SIZE=", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> SIZE=abc", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> SIZE=-1", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> SIZE=1e6", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> SIZE=9999999999999999999", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> BODY=BINARYMIME", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> BODY", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example>SIZE=10", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example>  SIZE=10", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> SIZE=10 ", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> =10", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> SIZE=1=2", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> -SIZE=1", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> SI_ZE=1", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> SIZE=1\u00e9", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> SIZE=1\u0085", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example>>", "501 5.5.4")]
    public void Mail(string line, string expected) => Assert.Equal(expected, Describe(SmtpCommandParser.Parse(line)));

    [Theory]
    [InlineData("RCPT TO:<u@ours.example>", "RCPT <u@ours.example>")]
    [InlineData("rcpt to:<u@ours.example>", "RCPT <u@ours.example>")]
    [InlineData("RCPT TO: <u@ours.example>", "RCPT <u@ours.example>")]
    [InlineData("RCPT TO:<U@OURS.EXAMPLE.>", "RCPT <U@ours.example>")]
    [InlineData("RCPT TO:<@a.example,@b.example:u@c.example>", "RCPT <u@c.example>")]
    [InlineData("RCPT TO:<\"john doe\"@ours.example>", "RCPT <\"john doe\"@ours.example>")]
    [InlineData("RCPT TO:<u@b\u00fccher.example>", "RCPT <u@xn--bcher-kva.example>")]
    [InlineData("RCPT TO:<u@[192.0.2.9]>", "RCPT <u@[192.0.2.9]>")]
    [InlineData("RCPT TO:<u@[IPv6:2001:db8::1]>", "RCPT <u@[ipv6:2001:db8::1]>")]
    // Refused addresses: 501 with the recipient-address enhanced code (RFC 3463 X.1.3).
    [InlineData("RCPT TO:<>", "501 5.1.3")] // the null path is for MAIL only
    [InlineData("RCPT TO:u@ours.example", "501 5.1.3")]
    [InlineData("RCPT TO:<u@ours.example", "501 5.1.3")]
    [InlineData("RCPT TO:", "501 5.1.3")]
    [InlineData("RCPT TO:<u>", "501 5.1.3")]
    [InlineData("RCPT TO:<@ours.example>", "501 5.1.3")]
    [InlineData("RCPT TO:<u@@ours.example>", "501 5.1.3")]
    [InlineData("RCPT TO:<u@ours_example>", "501 5.1.3")]
    [InlineData("RCPT", "501 5.5.4")]
    [InlineData("RCPT FROM:<u@ours.example>", "501 5.5.4")]
    [InlineData("RCPT TO <u@ours.example>", "501 5.5.4")]
    // DSN (RFC 3461 §4.1, §4.2): NOTIFY and ORCPT; nothing else.
    [InlineData("RCPT TO:<u@ours.example> NOTIFY=NEVER", "RCPT <u@ours.example> NOTIFY=Never")]
    [InlineData("RCPT TO:<u@ours.example> NOTIFY=success,failure", "RCPT <u@ours.example> NOTIFY=Success, Failure")]
    [InlineData("RCPT TO:<u@ours.example> NOTIFY=DELAY,FAILURE,SUCCESS", "RCPT <u@ours.example> NOTIFY=Success, Failure, Delay")]
    [InlineData("RCPT TO:<u@ours.example> NOTIFY=NEVER,FAILURE", "501 5.5.4")]
    [InlineData("RCPT TO:<u@ours.example> NOTIFY=FAILURE,FAILURE", "501 5.5.4")]
    [InlineData("RCPT TO:<u@ours.example> NOTIFY=SOMETIMES", "501 5.5.4")]
    [InlineData("RCPT TO:<u@ours.example> NOTIFY=SUCCESS,", "501 5.5.4")]
    [InlineData("RCPT TO:<u@ours.example> ORCPT=rfc822;u@ours.example", "RCPT <u@ours.example> ORCPT=rfc822;u@ours.example")]
    [InlineData("RCPT TO:<u@ours.example> ORCPT=RFC822;a+2Bb@x.example", "RCPT <u@ours.example> ORCPT=rfc822;a+b@x.example")]
    [InlineData("RCPT TO:<u@ours.example> ORCPT=utf-8;\\x{7528}@x.example", "RCPT <u@ours.example> ORCPT=utf-8;\u7528@x.example")]
    [InlineData("RCPT TO:<u@ours.example> ORCPT=utf-8;\u7528@x.example", "RCPT <u@ours.example> ORCPT=utf-8;\u7528@x.example raw")]
    [InlineData("RCPT TO:<u@ours.example> ORCPT=rfc822;\u7528@x.example", "501 5.5.4")]
    [InlineData("RCPT TO:<u@ours.example> ORCPT=rfc822", "501 5.5.4")]
    [InlineData("RCPT TO:<u@ours.example> ORCPT=rfc822;", "501 5.5.4")]
    [InlineData("RCPT TO:<u@ours.example> ORCPT=;u@x.example", "501 5.5.4")]
    [InlineData("RCPT TO:<u@ours.example> ORCPT=rfc822;a+ZZ", "501 5.5.4")]
    [InlineData("RCPT TO:<u@ours.example> ORCPT=utf-8;\\x{41}", "501 5.5.4")] // ASCII must not be escaped (RFC 6533 §3)
    [InlineData("RCPT TO:<u@ours.example> NOTIFY=NEVER NOTIFY=NEVER", "501 5.5.4")]
    [InlineData("RCPT TO:<u@ours.example> SIZE=10", "555 5.5.4")]
    [InlineData("RCPT TO:<u@ours.example>  NOTIFY=NEVER", "501 5.5.4")]
    [InlineData("RCPT TO:<u@ours.example> NOTIFY=", "501 5.5.4")]
    [InlineData("RCPT TO:<u@ours.example>x", "501 5.5.4")]
    public void Rcpt(string line, string expected) => Assert.Equal(expected, Describe(SmtpCommandParser.Parse(line)));

    [Theory]
    [InlineData("RCPT TO:<Postmaster>")]
    [InlineData("RCPT TO:<postmaster>")]
    [InlineData("RCPT TO:<POSTMASTER>")]
    public void Postmaster_without_a_domain_is_valid_syntax_refused_as_not_relayed(string line) =>
        // RFC 5321 §4.1.1.3: "<Postmaster>" is a valid forward-path. We hold no mailboxes, so it
        // is refused like any address we do not relay: a policy refusal, not a syntax error.
        Assert.Equal("550 5.7.1", Describe(SmtpCommandParser.Parse(line)));

    [Fact]
    public void The_sender_keeps_its_local_part_exactly_as_sent()
    {
        var mail = Assert.IsType<MailCommand>(SmtpCommandParser.Parse("MAIL FROM:<\"Odd Sender\"@B.Example>"));

        Assert.Equal(new Mailbox("\"Odd Sender\"", "b.example"), mail.Sender);
        Assert.Null(mail.DeclaredSize);
        Assert.Equal(BodyType.Unspecified, mail.Body);
    }

    [Fact]
    public void Every_refusal_carries_an_enhanced_status_code_of_its_class()
    {
        string[] lines = ["EHLO", "DATA x", "MAIL", "MAIL FROM:x", "MAIL FROM:<a@b.example> FOO", "MAIL FROM:<a@b.example> SIZE=x",
            "RCPT TO:<>", "RCPT TO:<u@ours.example> NOTIFY=X", "RCPT", "BDAT", "BDAT 1 x", "VRFY"];
        foreach (var line in lines)
        {
            var invalid = Assert.IsType<InvalidCommand>(SmtpCommandParser.Parse(line));
            Assert.InRange(invalid.Reply.Code, 500, 599);
            Assert.NotNull(invalid.Reply.Enhanced);
            Assert.StartsWith("5.", invalid.Reply.Enhanced);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_garbage_never_throws(int seed)
    {
        var random = new Random(seed);
        const string alphabet = "MAILRCPTFROMTO:<>@\". ,=\\[]\u00fc\u0001abc0123SIZEBODY";
        string[] starts = ["MAIL FROM:", "RCPT TO:", "EHLO ", "", "MAIL FROM:<", "RCPT TO:<@"];
        for (var round = 0; round < 5000; round++)
        {
            var line = starts[random.Next(starts.Length)]
                       + new string(Enumerable.Range(0, random.Next(0, 40)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());

            var command = SmtpCommandParser.Parse(line);

            Assert.NotNull(command);
            if (command is InvalidCommand invalid) Assert.InRange(invalid.Reply.Code, 500, 599);
            if (command is RcptCommand rcpt) Assert.Equal(rcpt.Recipient.Domain, AddressParser.NormaliseDomain(rcpt.Recipient.Domain));
        }
    }

    private static string Describe(SmtpCommand command) => command switch
    {
        HelloCommand h => $"{(h.Extended ? "EHLO" : "HELO")} {h.ClientName}",
        MailCommand m => $"MAIL <{m.Sender}>"
                         + (m.DeclaredSize is { } size ? $" SIZE={size}" : "")
                         + (m.Body != BodyType.Unspecified ? $" BODY={m.Body}" : "")
                         + (m.SmtpUtf8 ? " SMTPUTF8" : "")
                         + (m.Return != DsnReturn.Unspecified ? $" RET={m.Return}" : "")
                         + (m.EnvelopeId is { } envid ? $" ENVID={envid}" : ""),
        RcptCommand r => $"RCPT <{r.Recipient}>"
                         + (r.Notify != DsnNotify.Unspecified ? $" NOTIFY={r.Notify}" : "")
                         + (r.OriginalRecipient is { } orcpt ? $" ORCPT={orcpt}" : "")
                         + (r.RawUtf8 ? " raw" : ""),
        BdatCommand b => $"BDAT {b.Size}" + (b.Last ? " LAST" : ""),
        InvalidCommand { Fatal: true } i => $"{i.Reply.Code} {i.Reply.Enhanced} fatal",
        SimpleCommand s => s.Verb.ToString(),
        InvalidCommand i => $"{i.Reply.Code} {i.Reply.Enhanced}",
        _ => throw new ArgumentOutOfRangeException(nameof(command)),
    };
}
