using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tunnel.Cluster.Observability;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Tunnel.Node.Logging;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The mail log's lines, through Microsoft.Extensions.Logging and the node's line writer: text in
/// Postfix's shape (one line per disposition: relay, family, delay, dsn, status and the reply), or
/// JSON with the same facts as fields; every line also counts in the metrics.
/// </summary>
public sealed class MailLogLines
{
    private static readonly MessageId Id = new("01M8MH012T2N2Q25QK1Q");
    private static readonly Mailbox To = new("user", "example.com");

    [Theory]
    [InlineData(RecipientStatus.Delivered, "mx1.example.com[2001:db8::25]:25", "2.0.0", "250 2.0.0 Ok",
        "to=<user@example.com>, relay=mx1.example.com[2001:db8::25]:25, family=ipv6, tls=none, delay=0.72, dsn=2.0.0, status=sent (250 2.0.0 Ok)")]
    [InlineData(RecipientStatus.Deferred, "mx2.example.com[192.0.2.25]:25", "4.2.0", "451 4.2.0 try later",
        "to=<user@example.com>, relay=mx2.example.com[192.0.2.25]:25, family=ipv4, tls=none, delay=0.72, dsn=4.2.0, status=deferred (451 4.2.0 try later)")]
    [InlineData(RecipientStatus.Failed, null, "5.1.10", "null MX",
        "to=<user@example.com>, relay=none, family=none, tls=none, delay=0.72, dsn=5.1.10, status=bounced (null MX)")]
    public void A_disposition_is_one_text_line(RecipientStatus status, string? relay, string dsn, string reply, string expected)
    {
        var (log, output, _) = MailLogTo(json: false);

        log.Outcome(Id, new RecipientOutcome(To, status, dsn, reply, relay), TimeSpan.FromMilliseconds(720));

        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z mail 01M8MH012T2N2Q25QK1Q: " + System.Text.RegularExpressions.Regex.Escape(expected) + "\n$",
            output.ToString());
    }

    [Fact]
    public void A_disposition_over_TLS_says_how_TLS_went_with_protocol_and_cipher()
    {
        var (log, output, _) = MailLogTo(json: false);

        log.Outcome(Id, new RecipientOutcome(To, RecipientStatus.Delivered, "2.0.0", "250 2.0.0 Ok", "mx1.example.com[2001:db8::25]:25",
            Tls: new TlsSummary(TlsSummary.MtaSts, "Tls13", "TLS_AES_256_GCM_SHA384")), TimeSpan.FromMilliseconds(720));

        var line = output.ToString();
        Assert.Contains("relay=mx1.example.com[2001:db8::25]:25, family=ipv6, tls=mta-sts, tls-protocol=Tls13, tls-cipher=TLS_AES_256_GCM_SHA384, "
                        + "delay=0.72, dsn=2.0.0, status=sent (250 2.0.0 Ok)", line);
        // What older parsers look for is where it was.
        Assert.Matches(@"dsn=2\.0\.0, status=sent", line);
    }

    [Fact]
    public async Task A_JSON_line_carries_the_same_facts_as_fields()
    {
        var (log, output, metrics) = MailLogTo(json: true);

        log.Outcome(Id, new RecipientOutcome(To, RecipientStatus.Delivered, "2.0.0", "250 2.0.0 Ok", "mx1.example.com[2001:db8::25]:25"),
            TimeSpan.FromSeconds(1.5));
        log.Refused(IPAddress.Parse("192.0.2.9"), "550 5.7.1 Relaying denied");

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var sent = lines[0];
        Assert.Equal("mail", sent.GetProperty("category").GetString());
        Assert.Equal("info", sent.GetProperty("level").GetString());
        Assert.Equal(Id.Value, sent.GetProperty("queueId").GetString());
        Assert.Equal("user@example.com", sent.GetProperty("to").GetString());
        Assert.Equal("mx1.example.com[2001:db8::25]:25", sent.GetProperty("relay").GetString());
        Assert.Equal("ipv6", sent.GetProperty("family").GetString());
        Assert.Equal("none", sent.GetProperty("tls").GetString());
        Assert.Equal(1.5, sent.GetProperty("delay").GetDouble());
        Assert.Equal("2.0.0", sent.GetProperty("dsn").GetString());
        Assert.Equal("sent", sent.GetProperty("status").GetString());
        Assert.Equal("250 2.0.0 Ok", sent.GetProperty("reply").GetString());
        Assert.StartsWith($"{Id}: to=<user@example.com>, relay=", sent.GetProperty("message").GetString());
        Assert.Equal("relay-denied", lines[1].GetProperty("reason").GetString());

        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream);
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.Contains("tunnel_deliveries_total{status=\"sent\",family=\"ipv6\"} 1", text);
        Assert.Contains("tunnel_messages_refused_total{reason=\"relay-denied\"} 1", text);
    }

    [Fact]
    public void The_mail_log_is_written_whatever_the_level_and_other_lines_obey_it()
    {
        var output = new StringWriter();
        using var provider = new LineLoggerProvider(output, json: false, LogLevel.Warning);

        provider.CreateLogger(MailLog.Category).LogInformation("kept");
        provider.CreateLogger("Tunnel.Node.TunnelNode").LogInformation("dropped");
        provider.CreateLogger("Tunnel.Cluster.Queue.DomainQueue").LogWarning("Snapshot failed");

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.EndsWith(" mail kept", lines[0]);
        Assert.EndsWith(" DomainQueue warning: Snapshot failed", lines[1]);
    }

    [Fact]
    public void A_sub_queue_says_whose_report_of_the_destination_it_took()
    {
        // Issue 15: the sub-queues of a split domain share whether the destination is down.
        var (text, output, _) = MailLogTo(json: false);
        var until = new DateTimeOffset(2026, 12, 4, 16, 0, 0, TimeSpan.Zero);

        text.DestinationReported("example.org", 2, until, reportedBy: 0);
        text.DestinationReported("example.org", 1, null, reportedBy: 0);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(" mail example.org sub-queue #2: destination down until 2026-12-04T16:00:00Z (reported by sub-queue #0); its mail waits until then", lines[0]);
        Assert.EndsWith(" mail example.org sub-queue #1: destination reachable again (reported by sub-queue #0); its due mail goes now", lines[1]);

        var (json, jsonOutput, _) = MailLogTo(json: true);
        json.DestinationReported("example.org", 2, until, reportedBy: 0);
        json.DestinationReported("example.org", 1, null, reportedBy: 0);
        var fields = jsonOutput.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(("example.org", 2, 0), (fields[0].GetProperty("domain").GetString(), fields[0].GetProperty("part").GetInt32(),
            fields[0].GetProperty("reportedBy").GetInt32()));
        Assert.Equal(until, fields[0].GetProperty("downUntil").GetDateTimeOffset());
        Assert.Equal(1, fields[1].GetProperty("part").GetInt32());
    }

    private static (MailLog Log, StringWriter Output, TunnelMetrics Metrics) MailLogTo(bool json)
    {
        var output = new StringWriter();
        var provider = new LineLoggerProvider(output, json);
        var metrics = new TunnelMetrics();
        return (new MailLog(provider.CreateLogger(MailLog.Category), metrics), output, metrics);
    }
}
