using System.Net;
using System.Text;
using Tunnel.Cluster.Ingress;
using Tunnel.Messages.Mail;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// Our trace header (RFC 5321 §4.4): "from" the claimed name with the real address as TCP-info,
/// "by" us, "with" the protocol, "id" the queue id, "for" only a single recipient, then the
/// RFC 5322 §3.3 date. Folded with CRLF + tab, ended with CRLF.
/// </summary>
public sealed class ReceivedHeaderTests
{
    private static readonly MessageId Id = new("01J0ABCDEFGHJKMNPQRS");
    private static readonly DateTimeOffset At = new(2026, 11, 29, 20, 27, 57, TimeSpan.Zero);
    private static readonly Mailbox U1 = new("u1", "ours.example");
    private static readonly Mailbox U2 = new("u2", "ours.example");

    [Fact]
    public void One_recipient_over_ESMTP()
    {
        var header = Build("client.example", "192.0.2.9", extended: true, [U1]);

        Assert.Equal(
            "Received: from client.example ([192.0.2.9])\r\n" +
            "\tby tunnel.example (Tunnel) with ESMTP id 01J0ABCDEFGHJKMNPQRS\r\n" +
            "\tfor <u1@ours.example>; Sun, 29 Nov 2026 20:27:57 +0000\r\n",
            header);
    }

    [Fact]
    public void Several_recipients_are_not_disclosed()
    {
        var header = Build("client.example", "192.0.2.9", extended: true, [U1, U2]);

        Assert.Equal(
            "Received: from client.example ([192.0.2.9])\r\n" +
            "\tby tunnel.example (Tunnel) with ESMTP id 01J0ABCDEFGHJKMNPQRS; Sun, 29 Nov 2026 20:27:57 +0000\r\n",
            header);
        Assert.DoesNotContain("u1@", header);
        Assert.DoesNotContain("u2@", header);
    }

    [Fact]
    public void HELO_is_plain_SMTP_and_a_missing_name_is_unknown()
    {
        var header = Build(null, "192.0.2.9", extended: false, []);

        Assert.Equal(
            "Received: from unknown ([192.0.2.9])\r\n" +
            "\tby tunnel.example (Tunnel) with SMTP id 01J0ABCDEFGHJKMNPQRS; Sun, 29 Nov 2026 20:27:57 +0000\r\n",
            header);
    }

    [Fact]
    public void Quoted_local_part_stays_quoted_in_for()
    {
        var header = Build("c.example", "192.0.2.9", extended: true, [new Mailbox("\"john doe\"", "ours.example")]);

        Assert.Contains("\tfor <\"john doe\"@ours.example>; ", header);
    }

    // RFC 5321 §4.1.3 address literals.
    [Theory]
    [InlineData("192.0.2.9", "[192.0.2.9]")]
    [InlineData("127.0.0.1", "[127.0.0.1]")]
    [InlineData("2001:db8::1", "[IPv6:2001:db8::1]")]
    [InlineData("2001:0DB8:0:0:0:0:0:1", "[IPv6:2001:db8::1]")]
    [InlineData("::1", "[IPv6:::1]")]
    [InlineData("::ffff:192.0.2.9", "[192.0.2.9]")]       // an IPv4 client on a dual-stack socket
    [InlineData("fe80::1%2", "[IPv6:fe80::1]")]            // the grammar has no zone
    public void Address_literal(string address, string expected)
    {
        Assert.Equal(expected, ReceivedHeader.AddressLiteral(IPAddress.Parse(address)));
        Assert.StartsWith($"Received: from c.example ({expected})\r\n", Build("c.example", address, true, []));
    }

    // RFC 5322 §3.3: day-name "," day month year hour ":" minute ":" second zone, zone as +hhmm/-hhmm.
    [Theory]
    [InlineData(2026, 11, 29, 20, 27, 57, 0, 0, "Sun, 29 Nov 2026 20:27:57 +0000")]
    [InlineData(2026, 3, 5, 9, 5, 7, 0, 0, "Thu, 05 Mar 2026 09:05:07 +0000")]
    [InlineData(2026, 3, 5, 9, 5, 7, 2, 0, "Thu, 05 Mar 2026 09:05:07 +0200")]
    [InlineData(2026, 3, 5, 9, 5, 7, 5, 30, "Thu, 05 Mar 2026 09:05:07 +0530")]
    [InlineData(2026, 3, 5, 9, 5, 7, -4, -30, "Thu, 05 Mar 2026 09:05:07 -0430")]
    [InlineData(2026, 3, 5, 9, 5, 7, -12, 0, "Thu, 05 Mar 2026 09:05:07 -1200")]
    [InlineData(2026, 3, 5, 9, 5, 7, 14, 0, "Thu, 05 Mar 2026 09:05:07 +1400")]
    [InlineData(2000, 2, 29, 0, 0, 0, 0, 0, "Tue, 29 Feb 2000 00:00:00 +0000")]
    [InlineData(1999, 12, 31, 23, 59, 59, 0, 45, "Fri, 31 Dec 1999 23:59:59 +0045")]
    public void Date(int year, int month, int day, int hour, int minute, int second, int offsetHours, int offsetMinutes, string expected)
    {
        var at = new DateTimeOffset(year, month, day, hour, minute, second, new TimeSpan(offsetHours, offsetMinutes, 0));

        Assert.Equal(expected, ReceivedHeader.Rfc5322Date(at));
    }

    [Fact]
    public void Date_ignores_the_current_culture()
    {
        var saved = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            Assert.Equal("Sun, 29 Nov 2026 20:27:57 +0000", ReceivedHeader.Rfc5322Date(At));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void Header_is_ASCII_with_CRLF_line_ends_and_folded_lines()
    {
        var header = Build("client.example", "2001:db8::1", extended: true, [U1]);

        Assert.All(header, c => Assert.True(c < 128));
        Assert.EndsWith("\r\n", header);
        Assert.DoesNotContain("\r\n\r\n", header);
        var lines = header[..^2].Split("\r\n");
        Assert.StartsWith("Received: ", lines[0]);
        Assert.All(lines.Skip(1), l => Assert.StartsWith("\t", l)); // continuation lines start with FWS (RFC 5322 §2.2.3)
        Assert.Equal(header.Replace("\r", ""), header.Replace("\r\n", "\n")); // no bare CR
    }

    [Theory]
    [InlineData(false, false, false, "SMTP")]
    [InlineData(true, false, false, "ESMTP")]
    [InlineData(true, true, false, "ESMTPS")]
    [InlineData(true, false, true, "UTF8SMTP")]
    [InlineData(true, true, true, "UTF8SMTPS")]
    [InlineData(false, true, false, "SMTP")]
    public void Protocol_word_follows_RFC_3848_and_RFC_6531(bool extended, bool tls, bool smtpUtf8, string expected) =>
        Assert.Equal(expected, Tunnel.Cluster.Ingress.Protocol.ReceivedProtocol.Of(extended, tls, smtpUtf8));

    private static string Build(string? client, string address, bool extended, Mailbox[] recipients) =>
        Encoding.UTF8.GetString(ReceivedHeader.Build(client, IPAddress.Parse(address), "tunnel.example", extended ? "ESMTP" : "SMTP", Id, recipients, At));
}
