using MailKit.Net.Smtp;
using Tunnel.Cluster.Outbound;
using Tunnel.Messages.Mail;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The MAIL FROM and RCPT TO commands we send the next hop: the envelope passed on as it came,
/// with each parameter only when the next hop's EHLO offered its extension (SIZE RFC 1870, DSN
/// RFC 3461). BODY= and SMTPUTF8 are the message's needs; whether the next hop can take them is
/// decided before MAIL (the transaction fails the message instead), so here they always show.
/// </summary>
public sealed class SmtpSenderTests
{
    private const SmtpCapabilities Everything =
        SmtpCapabilities.Size | SmtpCapabilities.Dsn | SmtpCapabilities.EightBitMime | SmtpCapabilities.UTF8 | SmtpCapabilities.Pipelining;

    private static readonly Mailbox Sender = new("sender", "sender.example");

    public static readonly Dictionary<string, (Envelope Envelope, long Size, SmtpCapabilities Capabilities, string Expected)> MailFroms = new()
    {
        ["a plain envelope to a bare server"] =
            (new Envelope(Sender), 1234, SmtpCapabilities.None, "MAIL FROM:<sender@sender.example>"),
        ["SIZE when offered"] =
            (new Envelope(Sender), 1234, SmtpCapabilities.Size, "MAIL FROM:<sender@sender.example> SIZE=1234"),
        ["SIZE of an empty message"] =
            (new Envelope(Sender), 0, SmtpCapabilities.Size, "MAIL FROM:<sender@sender.example> SIZE=0"),
        ["SIZE of a big one"] =
            (new Envelope(Sender), 5_000_000_000, SmtpCapabilities.Size, "MAIL FROM:<sender@sender.example> SIZE=5000000000"),
        ["no SIZE when not offered, whatever else is"] =
            (new Envelope(Sender), 1234, Everything & ~SmtpCapabilities.Size, "MAIL FROM:<sender@sender.example>"),
        ["the null sender"] =
            (new Envelope(null), 1234, SmtpCapabilities.None, "MAIL FROM:<>"),
        ["the null sender with SIZE"] =
            (new Envelope(null), 1234, SmtpCapabilities.Size, "MAIL FROM:<> SIZE=1234"),
        ["a quoted local part as it came"] =
            (new Envelope(new Mailbox("\"odd sender\"", "sender.example")), 1, SmtpCapabilities.None, "MAIL FROM:<\"odd sender\"@sender.example>"),
        // RFC 6152.
        ["BODY=8BITMIME"] =
            (new Envelope(Sender, BodyType.EightBitMime), 1234, SmtpCapabilities.EightBitMime, "MAIL FROM:<sender@sender.example> BODY=8BITMIME"),
        ["BODY=7BIT is the default and not said"] =
            (new Envelope(Sender, BodyType.SevenBit), 1234, SmtpCapabilities.EightBitMime, "MAIL FROM:<sender@sender.example>"),
        ["SIZE before BODY"] =
            (new Envelope(Sender, BodyType.EightBitMime), 99, SmtpCapabilities.Size | SmtpCapabilities.EightBitMime,
             "MAIL FROM:<sender@sender.example> SIZE=99 BODY=8BITMIME"),
        // RFC 6531.
        ["SMTPUTF8"] =
            (new Envelope(new Mailbox("δοκιμή", "xn--hxajbheg2az3al.xn--jxalpdlp"), SmtpUtf8: true), 1234, SmtpCapabilities.UTF8,
             "MAIL FROM:<δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp> SMTPUTF8"),
        ["BODY before SMTPUTF8"] =
            (new Envelope(Sender, BodyType.EightBitMime, SmtpUtf8: true), 1234, SmtpCapabilities.UTF8 | SmtpCapabilities.EightBitMime,
             "MAIL FROM:<sender@sender.example> BODY=8BITMIME SMTPUTF8"),
        // RFC 3461 §4.3, §4.4: RET and ENVID only to a server offering DSN.
        ["RET=FULL"] =
            (new Envelope(Sender, Return: DsnReturn.Full), 1234, SmtpCapabilities.Dsn, "MAIL FROM:<sender@sender.example> RET=FULL"),
        ["RET=HDRS"] =
            (new Envelope(Sender, Return: DsnReturn.Headers), 1234, SmtpCapabilities.Dsn, "MAIL FROM:<sender@sender.example> RET=HDRS"),
        ["no RET when the client did not say"] =
            (new Envelope(Sender), 1234, SmtpCapabilities.Dsn, "MAIL FROM:<sender@sender.example>"),
        ["ENVID"] =
            (new Envelope(Sender, EnvelopeId: "QQ314159"), 1234, SmtpCapabilities.Dsn, "MAIL FROM:<sender@sender.example> ENVID=QQ314159"),
        ["ENVID xtext-encoded"] =
            (new Envelope(Sender, EnvelopeId: "a+b=c d"), 1234, SmtpCapabilities.Dsn, "MAIL FROM:<sender@sender.example> ENVID=a+2Bb+3Dc+20d"),
        ["RET before ENVID"] =
            (new Envelope(Sender, EnvelopeId: "QQ314159", Return: DsnReturn.Headers), 1234, SmtpCapabilities.Dsn,
             "MAIL FROM:<sender@sender.example> RET=HDRS ENVID=QQ314159"),
        ["no RET or ENVID without DSN"] =
            (new Envelope(Sender, EnvelopeId: "QQ314159", Return: DsnReturn.Full), 1234, Everything & ~SmtpCapabilities.Dsn,
             "MAIL FROM:<sender@sender.example> SIZE=1234"),
        ["the null sender keeps its DSN parameters"] =
            (new Envelope(null, EnvelopeId: "bounce-1", Return: DsnReturn.Headers), 10, SmtpCapabilities.Dsn,
             "MAIL FROM:<> RET=HDRS ENVID=bounce-1"),
        ["everything at once"] =
            (new Envelope(Sender, BodyType.EightBitMime, SmtpUtf8: true, EnvelopeId: "QQ314159", Return: DsnReturn.Full), 5, Everything,
             "MAIL FROM:<sender@sender.example> SIZE=5 BODY=8BITMIME SMTPUTF8 RET=FULL ENVID=QQ314159"),
    };

    public static TheoryData<string> MailFromNames => new(MailFroms.Keys);

    [Theory]
    [MemberData(nameof(MailFromNames))]
    public void MailFrom(string name)
    {
        var (envelope, size, capabilities, expected) = MailFroms[name];

        Assert.Equal(expected, SmtpSender.MailFrom(envelope, size, capabilities));
    }

    private static readonly Mailbox B = new("b", "example.net");

    public static readonly Dictionary<string, (Recipient Recipient, bool Dsn, string Expected)> RcptTos = new()
    {
        ["a plain recipient"] = (new Recipient(B), true, "RCPT TO:<b@example.net>"),
        ["NOTIFY unspecified is not said"] = (new Recipient(B, DsnNotify.Unspecified), true, "RCPT TO:<b@example.net>"),
        // RFC 3461 §4.1: NEVER, or a comma-separated list of SUCCESS, FAILURE, DELAY.
        ["NOTIFY=NEVER"] = (new Recipient(B, DsnNotify.Never), true, "RCPT TO:<b@example.net> NOTIFY=NEVER"),
        ["NOTIFY=SUCCESS"] = (new Recipient(B, DsnNotify.Success), true, "RCPT TO:<b@example.net> NOTIFY=SUCCESS"),
        ["NOTIFY=FAILURE"] = (new Recipient(B, DsnNotify.Failure), true, "RCPT TO:<b@example.net> NOTIFY=FAILURE"),
        ["NOTIFY=DELAY"] = (new Recipient(B, DsnNotify.Delay), true, "RCPT TO:<b@example.net> NOTIFY=DELAY"),
        ["NOTIFY=FAILURE,DELAY"] = (new Recipient(B, DsnNotify.Delay | DsnNotify.Failure), true, "RCPT TO:<b@example.net> NOTIFY=FAILURE,DELAY"),
        ["NOTIFY=SUCCESS,DELAY"] = (new Recipient(B, DsnNotify.Success | DsnNotify.Delay), true, "RCPT TO:<b@example.net> NOTIFY=SUCCESS,DELAY"),
        ["NOTIFY=SUCCESS,FAILURE,DELAY"] =
            (new Recipient(B, DsnNotify.Delay | DsnNotify.Success | DsnNotify.Failure), true, "RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE,DELAY"),
        // NEVER "MUST NOT" be combined with the others (RFC 3461 §4.1): it wins.
        ["NEVER wins over anything beside it"] =
            (new Recipient(B, DsnNotify.Never | DsnNotify.Success | DsnNotify.Failure), true, "RCPT TO:<b@example.net> NOTIFY=NEVER"),
        // RFC 3461 §4.2: ORCPT=addr-type;xtext.
        ["ORCPT"] = (new Recipient(B, OriginalRecipient: "rfc822;b@example.net"), true, "RCPT TO:<b@example.net> ORCPT=rfc822;b@example.net"),
        ["ORCPT with a plus encodes it"] =
            (new Recipient(B, OriginalRecipient: "rfc822;b+tag@example.net"), true, "RCPT TO:<b@example.net> ORCPT=rfc822;b+2Btag@example.net"),
        ["ORCPT with a space and an equals sign"] =
            (new Recipient(B, OriginalRecipient: "rfc822;\"b c=d\"@example.net"), true, "RCPT TO:<b@example.net> ORCPT=rfc822;\"b+20c+3Dd\"@example.net"),
        ["ORCPT keeps its address type as written"] =
            (new Recipient(B, OriginalRecipient: "RFC822;B@Example.NET"), true, "RCPT TO:<b@example.net> ORCPT=RFC822;B@Example.NET"),
        ["ORCPT of another address type"] =
            (new Recipient(B, OriginalRecipient: "x400;c=us;a= ;p=example"), true, "RCPT TO:<b@example.net> ORCPT=x400;c+3Dus;a+3D+20;p+3Dexample"),
        ["ORCPT without an address type is rfc822"] =
            (new Recipient(B, OriginalRecipient: "b+x@example.net"), true, "RCPT TO:<b@example.net> ORCPT=rfc822;b+2Bx@example.net"),
        ["ORCPT with non-ASCII octets"] =
            (new Recipient(B, OriginalRecipient: "rfc822;bé@example.net"), true, "RCPT TO:<b@example.net> ORCPT=rfc822;b+C3+A9@example.net"),
        ["NOTIFY before ORCPT"] =
            (new Recipient(B, DsnNotify.Success | DsnNotify.Failure, "rfc822;b@example.net"), true,
             "RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.net"),
        // Without DSN at the next hop nothing of it is passed on (RFC 3461 §5.2.2: we notify instead).
        ["no NOTIFY without DSN"] = (new Recipient(B, DsnNotify.Never), false, "RCPT TO:<b@example.net>"),
        ["no ORCPT without DSN"] =
            (new Recipient(B, DsnNotify.Success | DsnNotify.Delay, "rfc822;b@example.net"), false, "RCPT TO:<b@example.net>"),
        ["a quoted local part as it came"] =
            (new Recipient(new Mailbox("\"b c\"", "example.net")), true, "RCPT TO:<\"b c\"@example.net>"),
    };

    public static TheoryData<string> RcptToNames => new(RcptTos.Keys);

    [Theory]
    [MemberData(nameof(RcptToNames))]
    public void RcptTo(string name)
    {
        var (recipient, dsn, expected) = RcptTos[name];

        Assert.Equal(expected, SmtpSender.RcptTo(recipient, dsn));
    }
}
