using System.Globalization;
using System.Text;
using MimeKit;
using Tunnel.Cluster.Ingress;
using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Bounces;

/// <summary>
/// Builds a delivery status notification (RFC 3464) as MIME bytes with MimeKit: a
/// multipart/report (RFC 6522) with a human-readable part, a message/delivery-status part with
/// the per-message and per-recipient fields, and the original message: whole when RET=FULL,
/// headers only when RET=HDRS; when the client did not say, whole up to
/// <c>maxReturned</c> octets and headers only beyond (Postfix's bounce_size_limit). Sent from
/// the null sender &lt;&gt; so that it can never bounce back (RFC 5321 §4.5.5). Pure.
/// </summary>
public static class BounceBuilder
{
    public static byte[] Build(BounceReport report, ReadOnlyMemory<byte> original, long maxReturned, DateTimeOffset now)
    {
        var kind = Kind(report);
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Mail Delivery System", $"MAILER-DAEMON@{report.ReportingMta}"));
        message.To.Add(MailboxAddress.Parse(report.Sender.ToString()));
        message.Subject = kind switch
        {
            "failed" => "Undelivered Mail Returned to Sender",
            "delayed" => "Delayed Mail (still being retried)",
            _ => "Successful Mail Relay",
        };
        message.Date = now;
        message.MessageId = $"{report.Id}.{now.ToUnixTimeMilliseconds()}@{report.ReportingMta}";
        message.Headers.Add("Auto-Submitted", "auto-replied"); // RFC 3834 §5

        var body = new MultipartReport("delivery-status")
        {
            new TextPart("plain") { Text = HumanReadable(report, kind) },
            DeliveryStatus(report),
            Original(report.Return, original, maxReturned),
        };
        message.Body = body;

        using var output = new MemoryStream();
        message.WriteTo(FormatOptions.Default.Clone().With(o => o.NewLineFormat = NewLineFormat.Dos), output);
        return output.ToArray();
    }

    /// <summary>failed, delayed or relayed: a report is about one kind of event (Postfix sends one per kind too).</summary>
    private static string Kind(BounceReport report) => report.Recipients.Select(r => r.Action).Distinct().Single();

    private static string HumanReadable(BounceReport report, string kind)
    {
        var text = new StringBuilder();
        text.Append($"This is the mail system at host {report.ReportingMta}.\r\n\r\n");
        text.Append(kind switch
        {
            "failed" => "I'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients. It's attached below.\r\n",
            "delayed" => "Your message could not be delivered yet to one or more recipients.\r\nIt will be retried until it is too old; you do not need to resend it.\r\n",
            _ => "Your message was successfully relayed to a server that does not\r\nsend delivery notifications; no further notice will be sent.\r\n",
        });
        text.Append("\r\n");
        foreach (var r in report.Recipients)
        {
            text.Append($"<{r.Recipient}>: ");
            text.Append(r.RemoteMta is null ? r.Diagnostic : $"host {r.RemoteMta} said: {r.Diagnostic}");
            text.Append("\r\n");
        }
        return text.ToString();
    }

    private static MessageDeliveryStatus DeliveryStatus(BounceReport report)
    {
        var status = new MessageDeliveryStatus();
        var perMessage = new HeaderList
        {
            { "Reporting-MTA", $"dns; {report.ReportingMta}" },
            { "X-Tunnel-Queue-ID", report.Id.Value },
        };
        if (report.EnvelopeId is not null) perMessage.Add("Original-Envelope-Id", report.EnvelopeId);
        perMessage.Add("Arrival-Date", ReceivedHeader.Rfc5322Date(report.ArrivalDate));
        status.StatusGroups.Add(perMessage);

        foreach (var r in report.Recipients)
        {
            var fields = new HeaderList();
            if (r.OriginalRecipient is not null) fields.Add("Original-Recipient", r.OriginalRecipient);
            fields.Add("Final-Recipient", $"rfc822; {r.Recipient}");
            fields.Add("Action", r.Action);
            fields.Add("Status", r.Status);
            if (r.RemoteMta is not null) fields.Add("Remote-MTA", $"dns; {r.RemoteMta}");
            if (r.Diagnostic is not null) fields.Add("Diagnostic-Code", DiagnosticCode(r.Diagnostic));
            if (r.LastAttempt is { } at) fields.Add("Last-Attempt-Date", ReceivedHeader.Rfc5322Date(at));
            status.StatusGroups.Add(fields);
        }
        return status;
    }

    /// <summary>
    /// RFC 3464 §2.3.6: "smtp" is for a reply the remote server gave ("550 5.1.1 …"); our own
    /// explanations (connection refused, expired) are labelled as ours.
    /// </summary>
    private static string DiagnosticCode(string diagnostic) =>
        diagnostic.Length > 4 && diagnostic[..3].All(char.IsAsciiDigit) && diagnostic[3] is ' ' or '-'
            ? $"smtp; {diagnostic}"
            : $"X-Tunnel; {diagnostic}";

    private static MimeEntity Original(DsnReturn ret, ReadOnlyMemory<byte> original, long maxReturned)
    {
        var full = ret == DsnReturn.Full || (ret == DsnReturn.Unspecified && original.Length <= maxReturned);
        if (full) return new MessagePart("rfc822") { Message = Load(original) };
        // text/rfc822-headers (RFC 6522 §4): the header block only, up to its blank line.
        var end = original.Span.IndexOf("\r\n\r\n"u8);
        var headers = end < 0 ? original : original[..(end + 4)];
        return new TextRfc822Headers { Message = Load(headers) };
    }

    private static MimeMessage Load(ReadOnlyMemory<byte> bytes)
    {
        using var stream = new MemoryStream(bytes.ToArray(), writable: false);
        return MimeMessage.Load(stream);
    }

    private static FormatOptions With(this FormatOptions options, Action<FormatOptions> change)
    {
        change(options);
        return options;
    }
}
