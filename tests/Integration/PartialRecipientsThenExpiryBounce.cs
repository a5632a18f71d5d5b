using MimeKit;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// One message, three recipients at one MX: one accepted, one refused for good (550), one
/// refused for now (451). The first is delivered, the second fails, the third is retried until
/// the message's lifetime ends; then the sender gets one DSN (RFC 3464) for both failures,
/// read back with MimeKit and checked field by field.
/// </summary>
public sealed class PartialRecipientsThenExpiryBounce
{
    [Fact]
    public async Task Each_recipient_gets_its_own_verdict_and_the_failures_are_bounced_once()
    {
        await using var world = await TunnelWorld.StartAsync("queue.lifetime = 4s");
        var reply = await world.SendAsync(TunnelWorld.Sender, ["ok@example.com", "permfail@example.com", "tempfail@example.com"], subject: "partial");
        var id = TunnelWorld.QueueId(reply);

        var delivered = Assert.Single(await world.ExampleCom.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal(["ok@example.com"], delivered.Recipients);
        await world.WaitForLogAsync(l => l.Contains($"{id}: to=<permfail@example.com>") && l.Contains("dsn=5.1.1, status=bounced"), "the permanent failure");
        // (Whether a 4.2.0 deferral is logged before the 4-second lifetime ends depends on the
        // machine's load; the expiry keeps the reply as its last error either way.)
        await world.WaitForLogAsync(l => l.Contains($"{id}: to=<tempfail@example.com>") && l.Contains("dsn=4.4.7, status=bounced")
                                         && l.Contains("last error: 451 4.2.0"), "the expiry", seconds: 60);

        var (envelope, dsn) = await world.WaitForDsnAsync();
        Assert.Null(envelope.Sender); // from <>
        Assert.Equal([TunnelWorld.Sender], envelope.Recipients);
        Assert.Equal("Undelivered Mail Returned to Sender", dsn.Subject);
        Assert.Equal("auto-replied", dsn.Headers["Auto-Submitted"]);
        var report = Assert.IsType<MultipartReport>(dsn.Body);
        Assert.Equal("delivery-status", report.ReportType);
        var status = Assert.Single(report.OfType<MessageDeliveryStatus>());
        var perMessage = status.StatusGroups[0];
        Assert.Equal("dns; tunnel.test", perMessage["Reporting-MTA"]);
        Assert.NotNull(perMessage["Arrival-Date"]);

        var recipients = status.StatusGroups.Skip(1).Where(g => g.Contains("Final-Recipient")).ToDictionary(g => g["Final-Recipient"]!);
        Assert.Equal(2, recipients.Count); // ok@ was delivered: not in the report
        var permfail = recipients["rfc822; permfail@example.com"];
        Assert.Equal("failed", permfail["Action"]);
        Assert.Equal("5.1.1", permfail["Status"]);
        Assert.Equal("dns; mx1.example.com", permfail["Remote-MTA"]);
        Assert.StartsWith("smtp; 550 5.1.1", permfail["Diagnostic-Code"]);
        var tempfail = recipients["rfc822; tempfail@example.com"];
        Assert.Equal("failed", tempfail["Action"]);
        Assert.Equal("4.4.7", tempfail["Status"]);
        Assert.Contains("delivery time expired", tempfail["Diagnostic-Code"]);
        Assert.Contains("451 4.2.0", tempfail["Diagnostic-Code"]);

        // The original comes back whole (small, RET unspecified).
        var original = Assert.Single(report.OfType<MessagePart>()).Message!;
        Assert.Equal("partial", original.Subject);

        await world.WaitForLogAsync(l => l.Contains($"{id}: removed from example.com queue"), "the message to leave the queue");
        Assert.Single(world.SenderMx.Messages); // exactly one DSN
        await Eventually.Until(async () => await world.Tunnel.Node.Spool.CountAsync(CancellationToken.None) == 0,
            TimeSpan.FromSeconds(30), "every body (original and DSN) to leave the spool");
    }
}
