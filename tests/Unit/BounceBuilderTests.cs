using System.Text;
using MimeKit;
using Tunnel.Cluster.Bounces;
using Tunnel.Messages.Mail;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The DSNs we send (RFC 3464 in an RFC 6522 multipart/report), read back the way the sender's
/// mail program would: with MimeKit. Field values are compared one by one, as "Name: value".
/// The reporting MTA is tunnel.example; the original is from sender@sender.example.
/// </summary>
public sealed class BounceBuilderTests
{
    private static readonly DateTimeOffset Arrival = new(2026, 3, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = new(2026, 3, 5, 16, 30, 0, TimeSpan.FromHours(1));
    private static readonly MessageId Id = new("01HZZZZZZZ0000000001");
    private static readonly Mailbox Sender = new("sender", "sender.example");
    private const string BodyMarker = "The body of the original message.";

    private static readonly BounceRecipient FailedA = new(new Mailbox("a", "example.com"), "failed", "5.1.1", "rfc822;a@example.com",
        "mx.example.com", "550 5.1.1 no such user", Arrival.AddMinutes(10));

    [Theory]
    [InlineData("failed", "Undelivered Mail Returned to Sender")]
    [InlineData("delayed", "Delayed Mail (still being retried)")]
    [InlineData("relayed", "Successful Mail Relay")]
    public void A_report_of_three_parts_from_the_mailer_daemon_to_the_sender(string action, string subject)
    {
        var dsn = Build(Report([FailedA with { Action = action }]), Original(100), maxReturned: 51200);

        Assert.Equal(subject, dsn.Subject);
        var from = Assert.IsType<MailboxAddress>(Assert.Single(dsn.From));
        Assert.Equal("MAILER-DAEMON@tunnel.example", from.Address);
        Assert.Equal("Mail Delivery System", from.Name);
        Assert.Equal("sender@sender.example", Assert.IsType<MailboxAddress>(Assert.Single(dsn.To)).Address);
        Assert.Equal("auto-replied", dsn.Headers["Auto-Submitted"]); // RFC 3834 §5
        Assert.Equal(Now, dsn.Date);
        Assert.Equal($"{Id}.{Now.ToUnixTimeMilliseconds()}@tunnel.example", dsn.MessageId);

        var report = Assert.IsType<MultipartReport>(dsn.Body);
        Assert.True(report.ContentType.IsMimeType("multipart", "report"));
        Assert.Equal("delivery-status", report.ReportType);
        Assert.Equal("delivery-status", report.ContentType.Parameters["report-type"]);
        Assert.Equal(3, report.Count);
        Assert.True(Assert.IsType<TextPart>(report[0]).IsPlain);
        Assert.True(report[1].ContentType.IsMimeType("message", "delivery-status"));
        Assert.IsType<MessageDeliveryStatus>(report[1]);
        Assert.True(report[2].ContentType.IsMimeType("message", "rfc822"));
    }

    [Fact]
    public void The_sender_keeps_an_odd_local_part()
    {
        var dsn = Build(Report([FailedA]) with { Sender = new Mailbox("\"odd sender\"", "sender.example") }, Original(100), 51200);

        Assert.Equal("\"odd sender\"@sender.example", Assert.IsType<MailboxAddress>(Assert.Single(dsn.To)).Address);
    }

    [Theory]
    [InlineData("env-1", new[] { "Reporting-MTA: dns; tunnel.example", "X-Tunnel-Queue-ID: 01HZZZZZZZ0000000001",
        "Original-Envelope-Id: env-1", "Arrival-Date: Thu, 05 Mar 2026 12:00:00 +0000" })]
    [InlineData(null, new[] { "Reporting-MTA: dns; tunnel.example", "X-Tunnel-Queue-ID: 01HZZZZZZZ0000000001",
        "Arrival-Date: Thu, 05 Mar 2026 12:00:00 +0000" })]
    public void Per_message_fields(string? envelopeId, string[] expected)
    {
        var dsn = Build(Report([FailedA]) with { EnvelopeId = envelopeId }, Original(100), 51200);

        Assert.Equal(expected, Fields(StatusGroups(dsn)[0]));
    }

    [Fact]
    public void The_arrival_date_keeps_its_offset()
    {
        var dsn = Build(Report([FailedA]) with { ArrivalDate = new DateTimeOffset(2026, 3, 5, 7, 0, 0, TimeSpan.FromHours(-5)) }, Original(100), 51200);

        Assert.Equal("Thu, 05 Mar 2026 07:00:00 -0500", StatusGroups(dsn)[0]["Arrival-Date"]);
    }

    public static readonly Dictionary<string, (BounceRecipient Recipient, string[] Expected)> Recipients = new()
    {
        ["failed at a remote server, with ORCPT"] = (FailedA,
        [
            "Original-Recipient: rfc822;a@example.com",
            "Final-Recipient: rfc822; a@example.com",
            "Action: failed",
            "Status: 5.1.1",
            "Remote-MTA: dns; mx.example.com",
            "Diagnostic-Code: smtp; 550 5.1.1 no such user",
            "Last-Attempt-Date: Thu, 05 Mar 2026 12:10:00 +0000",
        ]),
        ["delayed without a server to blame, no ORCPT"] = (
            new BounceRecipient(new Mailbox("b", "example.com"), "delayed", "4.4.1", null, null, "connection refused", Arrival.AddHours(4)),
        [
            "Final-Recipient: rfc822; b@example.com",
            "Action: delayed",
            "Status: 4.4.1",
            "Diagnostic-Code: X-Tunnel; connection refused",
            "Last-Attempt-Date: Thu, 05 Mar 2026 16:00:00 +0000",
        ]),
        ["relayed, nothing but the essentials"] = (
            new BounceRecipient(new Mailbox("c", "example.com"), "relayed", "2.0.0", null, null, null, null),
        [
            "Final-Recipient: rfc822; c@example.com",
            "Action: relayed",
            "Status: 2.0.0",
        ]),
        ["an ORCPT of another address type is passed on as given"] = (
            FailedA with { OriginalRecipient = "rfc822;Alias@Example.COM" },
        [
            "Original-Recipient: rfc822;Alias@Example.COM",
            "Final-Recipient: rfc822; a@example.com",
            "Action: failed",
            "Status: 5.1.1",
            "Remote-MTA: dns; mx.example.com",
            "Diagnostic-Code: smtp; 550 5.1.1 no such user",
            "Last-Attempt-Date: Thu, 05 Mar 2026 12:10:00 +0000",
        ]),
    };

    public static TheoryData<string> RecipientNames => new(Recipients.Keys);

    [Theory]
    [MemberData(nameof(RecipientNames))]
    public void Per_recipient_fields(string name)
    {
        var (recipient, expected) = Recipients[name];

        var dsn = Build(Report([recipient]), Original(100), 51200);

        var groups = StatusGroups(dsn);
        Assert.Equal(2, groups.Count);
        Assert.Equal(expected, Fields(groups[1]));
    }

    [Fact]
    public void One_group_per_recipient_in_order()
    {
        var b = FailedA with { Recipient = new Mailbox("b", "example.com"), OriginalRecipient = null, Status = "5.2.2" };
        var c = FailedA with { Recipient = new Mailbox("c", "example.net"), RemoteMta = "mx.example.net" };

        var groups = StatusGroups(Build(Report([FailedA, b, c]), Original(100), 51200));

        Assert.Equal(4, groups.Count);
        Assert.Equal(["rfc822; a@example.com", "rfc822; b@example.com", "rfc822; c@example.net"], groups.Skip(1).Select(g => g["Final-Recipient"]));
        Assert.Equal(["5.1.1", "5.2.2", "5.1.1"], groups.Skip(1).Select(g => g["Status"]));
        Assert.Equal(["rfc822;a@example.com", null, "rfc822;a@example.com"], groups.Skip(1).Select(g => g["Original-Recipient"]));
        Assert.Equal(["dns; mx.example.com", "dns; mx.example.com", "dns; mx.example.net"], groups.Skip(1).Select(g => g["Remote-MTA"]));
    }

    [Fact]
    public void The_human_readable_part_names_each_recipient_and_what_was_said()
    {
        var b = new BounceRecipient(new Mailbox("b", "example.com"), "failed", "5.4.4", null, null, "no route to example.com", null);

        var text = Lines(Assert.IsType<TextPart>(Assert.IsType<MultipartReport>(Build(Report([FailedA, b]), Original(100), 51200).Body)[0]).Text);

        Assert.Contains("This is the mail system at host tunnel.example.", text);
        Assert.Contains("could not\r\nbe delivered", text);
        Assert.Contains("<a@example.com>: host mx.example.com said: 550 5.1.1 no such user\r\n", text);
        Assert.Contains("<b@example.com>: no route to example.com\r\n", text);
    }

    /// <summary>
    /// How much of the original comes back (RFC 3461 §4.3): RET=FULL all of it whatever its size,
    /// RET=HDRS its header only; unsaid, all of it up to the limit and the header beyond.
    /// The limit is given relative to the original's size.
    /// </summary>
    [Theory]
    [InlineData(DsnReturn.Full, 100, -1, "whole")]
    [InlineData(DsnReturn.Full, 20_000, -150_000, "whole")]
    [InlineData(DsnReturn.Headers, 100, 0, "headers")]
    [InlineData(DsnReturn.Headers, 100, 1_000_000, "headers")]
    [InlineData(DsnReturn.Headers, 20_000, -150_000, "headers")]
    [InlineData(DsnReturn.Unspecified, 100, 1_000, "whole")]
    [InlineData(DsnReturn.Unspecified, 100, 0, "whole")]
    [InlineData(DsnReturn.Unspecified, 100, -1, "headers")]
    [InlineData(DsnReturn.Unspecified, 20_000, -150_000, "headers")]
    public void Returns_the_original(DsnReturn ret, int bodyLines, int limitBeyondSize, string expected)
    {
        var original = Original(bodyLines);

        var bytes = BounceBuilder.Build(Report([FailedA]) with { Return = ret }, original, original.Length + limitBeyondSize, Now);
        var returned = Assert.IsType<MultipartReport>(Load(bytes).Body)[2];

        var part = Assert.IsAssignableFrom<MessagePart>(returned);
        Assert.NotNull(part.Message);
        Assert.Equal("Quarterly report", part.Message.Subject);
        Assert.Equal("orig-1@sender.example", part.Message.MessageId);
        var text = Encoding.UTF8.GetString(bytes);
        if (expected == "whole")
        {
            Assert.True(returned.ContentType.IsMimeType("message", "rfc822"));
            Assert.Equal(Body(bodyLines), Lines(Assert.IsType<TextPart>(part.Message.Body).Text));
        }
        else
        {
            Assert.True(returned.ContentType.IsMimeType("text", "rfc822-headers"));
            Assert.DoesNotContain(BodyMarker, text);
            Assert.True(text.Length < 10_000, $"{text.Length} octets for a headers-only DSN");
        }
    }

    [Fact]
    public void An_original_without_a_body_returns_its_header()
    {
        var original = Encoding.ASCII.GetBytes("From: sender@sender.example\r\nSubject: Quarterly report\r\nMessage-ID: <orig-1@sender.example>\r\n");

        var returned = Assert.IsType<MultipartReport>(Build(Report([FailedA]) with { Return = DsnReturn.Headers }, original, 51200).Body)[2];

        Assert.True(returned.ContentType.IsMimeType("text", "rfc822-headers"));
        Assert.Equal("Quarterly report", Assert.IsAssignableFrom<MessagePart>(returned).Message?.Subject);
    }

    [Fact]
    public void Lines_end_in_CRLF()
    {
        var bytes = BounceBuilder.Build(Report([FailedA]), Original(100), 51200, Now);

        for (var i = 0; i < bytes.Length; i++)
            if (bytes[i] == '\n') Assert.True(i > 0 && bytes[i - 1] == '\r', $"bare LF at octet {i}");
    }

    private static BounceReport Report(BounceRecipient[] recipients) =>
        new("tunnel.example", Id, Sender, "env-1", Arrival, recipients, DsnReturn.Unspecified);

    private static string Body(int lines) =>
        string.Concat(Enumerable.Range(0, lines).Select(i => $"{BodyMarker} Line {i:000000}.\r\n"));

    private static byte[] Original(int bodyLines) => Encoding.ASCII.GetBytes(
        "From: sender@sender.example\r\nTo: a@example.com\r\nSubject: Quarterly report\r\n" +
        "Message-ID: <orig-1@sender.example>\r\nDate: Thu, 05 Mar 2026 11:59:00 +0000\r\n" +
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n" + Body(bodyLines));

    private static MimeMessage Build(BounceReport report, byte[] original, long maxReturned) =>
        Load(BounceBuilder.Build(report, original, maxReturned, Now));

    private static MimeMessage Load(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        return MimeMessage.Load(stream);
    }

    /// <summary>
    /// The groups of fields; MimeKit reads the blank line that ends the part (as in Postfix's
    /// DSNs) as one more, empty group, which is no group at all.
    /// </summary>
    private static IList<HeaderList> StatusGroups(MimeMessage dsn) =>
        Assert.IsType<MessageDeliveryStatus>(Assert.IsType<MultipartReport>(dsn.Body)[1]).StatusGroups.Where(g => g.Count > 0).ToList();

    /// <summary>MimeKit's TextPart.Text gives lines ending in LF; the wire has CRLF (see <see cref="Lines_end_in_CRLF"/>).</summary>
    private static string Lines(string text) => text.ReplaceLineEndings("\r\n");

    private static string[] Fields(HeaderList group) => group.Select(h => $"{h.Field}: {h.Value}").ToArray();
}
