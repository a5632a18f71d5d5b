using System.Net;
using System.Text;
using Tunnel.Cluster.Ingress;
using Tunnel.Cluster.Ingress.Protocol;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The whole protocol of one connection without a socket: raw client bytes in, the exact reply
/// stream out, with a scripted host that stores messages, answers DNS verdicts and "starts TLS".
/// Each scenario is also fed one byte at a time, which must not change a single reply.
/// </summary>
public sealed class SmtpConversationTests
{
    private static readonly SessionLimits Limits = SessionLimits.Defaults with { MaxRecipients = 3, MaxErrors = 3, MaxReceivedHeaders = 2, MaxMessageSize = 100 };
    private static readonly RelayPolicy Relay = new(new RelaySettings(new HashSet<string> { "ours.example" }, VerifyMx: true));

    /// <summary>What the scripted host did and saw.</summary>
    private sealed class Host
    {
        public readonly StringBuilder Wire = new();
        public readonly List<ReceivedMessage> Stored = [];
        public readonly List<string> Verified = [];
        public readonly List<string> Refused = [];
        public int TlsStarts;
        public int DiscardedAtTls;
        public bool Closed;
    }

    private static Host Run(string input, bool tls = false, bool byteByByte = false) => Run(Encoding.UTF8.GetBytes(input), tls, byteByByte);

    private static Host Run(byte[] input, bool tls = false, bool byteByByte = false)
    {
        var host = new Host();
        var conversation = new SmtpConversation("tunnel.example", Limits, Relay, IPAddress.Parse("198.51.100.7"), tls,
            reply => host.Refused.Add(reply.ToString()));
        conversation.Greet();
        var buffer = new List<byte>();
        var offered = 0;
        while (!host.Closed)
        {
            // Offer the input as the socket would: all at once, or one more byte per read.
            var take = byteByByte ? Math.Min(1, input.Length - offered) : input.Length - offered;
            buffer.AddRange(input.AsSpan(offered, take).ToArray());
            offered += take;
            Drive(conversation, buffer, host);
            if (offered == input.Length) break;
        }
        return host;
    }

    /// <summary>Feeds the buffer until the conversation needs input or closes.</summary>
    private static bool Drive(SmtpConversation conversation, List<byte> buffer, Host host)
    {
        while (true)
        {
            var need = conversation.Process(buffer.ToArray(), out var consumed);
            buffer.RemoveRange(0, consumed);
            host.Wire.Append(Encoding.UTF8.GetString(conversation.TakeReplies()));
            switch (need)
            {
                case ConversationNeed.Input:
                    return true;
                case ConversationNeed.Commit:
                    // The content is the conversation's until Committed: keep a copy, as the intake does.
                    var message = conversation.Message!;
                    host.Stored.Add(message with { Content = message.Content.ToArray() });
                    conversation.Committed(SmtpReplies.Queued($"ID{host.Stored.Count}"));
                    break;
                case ConversationNeed.VerifyDomain:
                    var domain = conversation.PendingDomain!;
                    host.Verified.Add(domain);
                    conversation.DomainVerified(domain.StartsWith("tunneled") ? TunnelDomainVerdict.Tunneled
                        : domain.StartsWith("servfail") ? TunnelDomainVerdict.Unknown : TunnelDomainVerdict.NotTunneled);
                    break;
                case ConversationNeed.StartTls:
                    host.TlsStarts++;
                    host.DiscardedAtTls += buffer.Count;
                    buffer.Clear(); // RFC 3207 §4.2: nothing from before the handshake survives it
                    conversation.TlsStarted();
                    break;
                case ConversationNeed.Close:
                    host.Closed = true;
                    return false;
            }
        }
    }

    /// <summary>Reply codes in order (the greeting first), written "code" or "code enhanced".</summary>
    private static string[] Codes(Host host) => host.Wire.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries)
        .Where(l => l.Length < 4 || l[3] != '-')
        .Select(l => l.Split(' ') is var w && w.Length > 1 && char.IsDigit(w[1][0]) && w[1].Contains('.') ? $"{w[0]} {w[1]}" : w[0])
        .ToArray();

    private const string Envelope = "EHLO c.example\r\nMAIL FROM:<a@sender.example>\r\nRCPT TO:<u@ours.example>\r\n";

    public static readonly Dictionary<string, (string Input, string[] Codes, int Stored, bool Closed)> Scenarios = new()
    {
        ["a pipelined DATA transaction"] = (Envelope + "DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n",
            ["220", "250", "250 2.1.0", "250 2.1.5", "354", "250 2.0.0", "221 2.0.0"], 1, true),
        ["two messages in one session"] = (Envelope + "DATA\r\na\r\n.\r\nMAIL FROM:<b@sender.example>\r\nRCPT TO:<v@ours.example>\r\nDATA\r\nb\r\n.\r\n",
            ["220", "250", "250 2.1.0", "250 2.1.5", "354", "250 2.0.0", "250 2.1.0", "250 2.1.5", "354", "250 2.0.0"], 2, false),
        ["BDAT in two chunks"] = (Envelope + "BDAT 5\r\nab\r\ncBDAT 3 LAST\r\nd\r\n",
            ["220", "250", "250 2.1.0", "250 2.1.5", "250 2.0.0", "250 2.0.0"], 1, false),
        ["BDAT 0 LAST ends an empty message"] = (Envelope + "BDAT 0 LAST\r\nNOOP\r\n",
            ["220", "250", "250 2.1.0", "250 2.1.5", "250 2.0.0", "250 2.0.0"], 1, false),
        // RFC 3030 §2: a refused BDAT's octets are still read, never taken for commands.
        ["a refused BDAT's chunk is skipped, not executed"] = ("EHLO c.example\r\nBDAT 6\r\nQUIT\r\nNOOP\r\n",
            ["220", "250", "503 5.5.1", "250 2.0.0"], 0, false),
        ["BDAT then DATA"] = (Envelope + "BDAT 4\r\nab\r\nDATA\r\nRSET\r\n",
            ["220", "250", "250 2.1.0", "250 2.1.5", "250 2.0.0", "503 5.5.1", "250 2.0.0"], 0, false),
        ["RSET between chunks drops the chunked message"] = (Envelope + "BDAT 4\r\nab\r\nRSET\r\nMAIL FROM:<>\r\nRCPT TO:<u@ours.example>\r\nBDAT 4 LAST\r\ncd\r\n",
            ["220", "250", "250 2.1.0", "250 2.1.5", "250 2.0.0", "250 2.0.0", "250 2.1.0", "250 2.1.5", "250 2.0.0"], 1, false),
        ["BDAT with a bare LF is refused"] = (Envelope + "BDAT 5 LAST\r\na\nb\r\n", ["220", "250", "250 2.1.0", "250 2.1.5", "554 5.6.0"], 0, false),
        ["BDAT with a bare CR across chunks"] = (Envelope + "BDAT 2\r\na\rBDAT 1 LAST\r\nb", ["220", "250", "250 2.1.0", "250 2.1.5", "250 2.0.0", "554 5.6.0"], 0, false),
        ["BDAT CRLF split across chunks is fine"] = (Envelope + "BDAT 2\r\na\rBDAT 1 LAST\r\n\n", ["220", "250", "250 2.1.0", "250 2.1.5", "250 2.0.0", "250 2.0.0"], 1, false),
        ["BDAT over the size limit is refused at the chunk, later chunks skipped"] = (Envelope + "BDAT 101\r\n" + new string('x', 99) + "\r\nBDAT 2 LAST\r\nxx",
            ["220", "250", "250 2.1.0", "250 2.1.5", "552 5.3.4", "503 5.5.1"], 0, false),
        ["BDAT with an unreadable size ends the session"] = (Envelope + "BDAT many\r\nQUIT\r\n", ["220", "250", "250 2.1.0", "250 2.1.5", "501 5.5.4"], 0, true),
        // Bare LF in a command: reply and hang up; nothing after it is executed (docs/decisions.md).
        ["bare LF in a command ends the session"] = ("EHLO c.example\r\nNOOP\nQUIT\r\n", ["220", "250", "500 5.5.2"], 0, true),
        ["bare CR in a command ends the session"] = ("NOOP\rQUIT\r\n", ["220", "500 5.5.2"], 0, true),
        ["NUL in a command"] = ("NO\0OP\r\nNOOP\r\n", ["220", "500 5.5.2", "250 2.0.0"], 0, false),
        ["invalid UTF-8 in a command"] = ("EHLO c.example\r\nMAIL FROM:<\u00ff@x.example>\r\n".Replace("\u00ff", "\udcff"), ["220", "250", "500 5.5.2"], 0, false),
        ["too many errors"] = ("XX\r\nXX\r\nXX\r\nXX\r\nNOOP\r\n", ["220", "500 5.5.1", "500 5.5.1", "500 5.5.1", "500 5.5.1", "421 4.7.0"], 0, true),
        ["mail loop: more Received headers than allowed"] = (Envelope + "DATA\r\nReceived: a\r\nreceived : b\r\nRECEIVED:\tc\r\n\r\nx\r\n.\r\n",
            ["220", "250", "250 2.1.0", "250 2.1.5", "354", "554 5.4.6"], 0, false),
        ["Received in the body does not count"] = (Envelope + "DATA\r\nReceived: a\r\n Received: folded\r\nX: y\r\n\r\nReceived: b\r\nReceived: c\r\n.\r\n",
            ["220", "250", "250 2.1.0", "250 2.1.5", "354", "250 2.0.0"], 1, false),
        ["NUL in DATA"] = (Envelope + "DATA\r\na\0b\r\n.\r\n", ["220", "250", "250 2.1.0", "250 2.1.5", "354", "554 5.6.0"], 0, false),
        // DNS verification keeps pipelined replies in order.
        ["pipelined RCPTs with DNS verdicts stay in order"] = ("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\nRCPT TO:<u@tunneled.example>\r\nRCPT TO:<u@ours.example>\r\n" +
            "RCPT TO:<u@stranger.example>\r\nRCPT TO:<u@servfail.example>\r\nDATA\r\nx\r\n.\r\n",
            ["220", "250", "250 2.1.0", "250 2.1.5", "250 2.1.5", "550 5.7.1", "451 4.4.3", "354", "250 2.0.0"], 1, false),
        ["STARTTLS not offered"] = ("STARTTLS\r\n", ["220", "502 5.5.1"], 0, false),
        ["long MAIL line within its allowance"] = ("EHLO c.example\r\nMAIL FROM:<a@s.example> ENVID=" + new string('e', 100) + " RET=HDRS SIZE=10 BODY=8BITMIME SMTPUTF8" + new string(' ', 0) + "\r\n",
            ["220", "250", "250 2.1.0"], 0, false),
        ["NOOP longer than 510 octets"] = ("NOOP " + new string('x', 506) + "\r\nNOOP\r\n", ["220", "500 5.5.2", "250 2.0.0"], 0, false),
        ["RCPT may use the DSN allowance"] = ("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\nRCPT TO:<u@ours.example> ORCPT=rfc822;" + new string('o', 480) + "\r\n",
            ["220", "250", "250 2.1.0", "250 2.1.5"], 0, false),
    };

    public static TheoryData<string> ScenarioNames => new(Scenarios.Keys);

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void Replies_in_order(string name)
    {
        var (input, codes, stored, closed) = Scenarios[name];
        var bytes = Encoding.UTF8.GetBytes(input);
        if (name.Contains("invalid UTF-8")) bytes = Encoding.Latin1.GetBytes(input.Replace("\udcff", "\u00ff"));

        foreach (var byteByByte in new[] { false, true })
        {
            var host = Run(bytes, byteByByte: byteByByte);
            Assert.Equal(codes, Codes(host));
            Assert.Equal(stored, host.Stored.Count);
            Assert.Equal(closed, host.Closed);
        }
    }

    [Fact]
    public void STARTTLS_throws_away_what_was_pipelined_after_it_and_forgets_EHLO()
    {
        var host = Run("EHLO c.example\r\nSTARTTLS\r\nMAIL FROM:<evil@x.example>\r\nRCPT TO:<u@ours.example>\r\n", tls: true);

        Assert.Equal(["220", "250", "220 2.0.0"], Codes(host));
        Assert.Equal(1, host.TlsStarts);
        Assert.True(host.DiscardedAtTls > 0);
        Assert.Contains("250 STARTTLS\r\n", host.Wire.ToString());
    }

    [Fact]
    public void After_TLS_the_client_must_greet_again_and_STARTTLS_is_no_longer_offered()
    {
        var conversation = new SmtpConversation("tunnel.example", Limits, Relay, IPAddress.Loopback, tlsOffered: true);
        conversation.Process("EHLO c.example\r\nSTARTTLS\r\n"u8, out _);
        conversation.TakeReplies();
        conversation.TlsStarted();

        Assert.Equal(ConversationNeed.Input, conversation.Process("MAIL FROM:<a@s.example>\r\nEHLO c.example\r\nSTARTTLS\r\n"u8, out _));

        var replies = Encoding.UTF8.GetString(conversation.TakeReplies());
        Assert.StartsWith("503 5.5.1", replies);
        Assert.DoesNotContain("STARTTLS", replies.Split("\r\n")[1..^2].Aggregate("", (a, b) => a + b).Replace("503 5.5.1 Error: TLS already active", ""));
        Assert.EndsWith("503 5.5.1 Error: TLS already active\r\n", replies);
    }

    [Fact]
    public void The_envelope_carries_SMTPUTF8_DSN_and_the_protocol_word()
    {
        var host = Run("EHLO c.example\r\nMAIL FROM:<j\u00fcrgen@s.example> SMTPUTF8 RET=HDRS ENVID=QQ+2B1\r\n" +
                       "RCPT TO:<\u7528@ours.example> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;u@ours.example\r\nDATA\r\nx\r\n.\r\n");

        var message = Assert.Single(host.Stored);
        Assert.True(message.Envelope.SmtpUtf8);
        Assert.Equal(Tunnel.Messages.Mail.DsnReturn.Headers, message.Envelope.Return);
        Assert.Equal("QQ+1", message.Envelope.EnvelopeId);
        var recipient = Assert.Single(message.Recipients);
        Assert.Equal("\u7528", recipient.Address.LocalPart);
        Assert.Equal(Tunnel.Messages.Mail.DsnNotify.Success | Tunnel.Messages.Mail.DsnNotify.Delay, recipient.Notify);
        Assert.Equal("rfc822;u@ours.example", recipient.OriginalRecipient);
        Assert.Equal("UTF8SMTP", message.Protocol);
        Assert.Equal("x\r\n", Encoding.UTF8.GetString(message.Content.Span));
    }

    [Fact]
    public void A_refused_message_is_reported_to_the_host()
    {
        var host = Run(Envelope + "DATA\r\na\nb\r\n.\r\n");

        Assert.Single(host.Refused);
        Assert.StartsWith("554 5.6.0", host.Refused[0]);
    }
}
