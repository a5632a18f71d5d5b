using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// After the draft's delivery (an IPv4 client, example.com's IPv6-only MX) and one relay
/// attempt that is refused, /metrics (Prometheus text format) counts exactly that, in the mail
/// log's words: a session over IPv4, one message accepted, one refusal for relay-denied, one
/// recipient sent over IPv6 with its delay, DNS lookups, one member up, the shard it used, and
/// the steps from the end of the data to the 250 (one commit).
/// </summary>
public sealed partial class MetricsCountWhatHappened
{
    [Fact]
    public async Task Metrics_follow_a_delivered_message_and_a_refused_recipient()
    {
        await using var world = await TunnelWorld.StartAsync();
        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));
        await world.WaitForLogAsync(l => l.Contains($"{id}: removed from example.com queue"), "the delivery");
        var (client, _) = await RawSmtpClient.OpenAsync(world.Tunnel.Smtp(AddressFamily.InterNetwork));
        await using (client)
        {
            var reply = await client.SendMailAsync(TunnelWorld.Sender, ["someone@elsewhere.example"], Encoding.ASCII.GetBytes("Subject: x\r\n\r\nx\r\n.\r\n"));
            Assert.DoesNotContain("queued", reply); // its only recipient was refused
        }
        await world.WaitForLogAsync(l => l.Contains("NOQUEUE: refused from [127.0.0.1]: 550 5.7.1 Relaying denied")
                                         && l.Contains("to=<someone@elsewhere.example>"), "the refusal in the mail log");

        using var http = new HttpClient { BaseAddress = new Uri($"http://{world.Tunnel.Admin}/") };
        var response = await http.GetAsync("metrics");
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString());
        var metrics = Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(2, metrics["tunnel_smtp_connections_total{family=\"ipv4\"}"]);
        Assert.Equal(1, metrics["tunnel_messages_accepted_total"]);
        // Issue 16: the one 250 took one commit of its own, and each step to it was timed once.
        Assert.Equal(1, metrics["tunnel_intake_commits_total"]);
        foreach (var step in new[] { "prepare", "wait", "write", "commit", "resume" })
            Assert.Equal(1, metrics[$"tunnel_intake_step_seconds_count{{step=\"{step}\"}}"]);
        Assert.True(metrics["tunnel_intake_step_seconds_sum{step=\"commit\"}"] > 0);
        Assert.Equal(1, metrics["tunnel_messages_refused_total{reason=\"relay-denied\"}"]);
        Assert.Equal(1, metrics["tunnel_deliveries_total{status=\"sent\",family=\"ipv6\"}"]);
        Assert.Equal(1, metrics["tunnel_delivery_delay_seconds_count{family=\"ipv6\"}"]);
        Assert.Equal(1, metrics["tunnel_delivery_delay_seconds_bucket{family=\"ipv6\",le=\"+Inf\"}"]);
        Assert.True(metrics["tunnel_dns_lookups_total{type=\"MX\",result=\"ok\"}"] >= 1);
        Assert.True(metrics["tunnel_dns_lookups_total{type=\"AAAA\",result=\"ok\"}"] >= 1);
        Assert.Equal(1, metrics["tunnel_cluster_members{status=\"up\"}"]);
        Assert.Equal(0, metrics["tunnel_cluster_members{status=\"unreachable\"}"]);
        Assert.Equal(1, metrics["tunnel_shards"]);
        Assert.Equal(0, metrics["tunnel_queue_messages"]);
        Assert.Equal(0, metrics["tunnel_queue_oldest_age_seconds"]);
        await Eventually.Until(async () => Parse(await http.GetStringAsync("metrics"))["tunnel_smtp_sessions_open"] == 0,
            TimeSpan.FromSeconds(10), "both sessions to be closed");
    }

    /// <summary>Prometheus text format (0.0.4): every line a comment or "name{labels} value"; samples by name and labels.</summary>
    internal static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# HELP ") || line.StartsWith("# TYPE ")) continue;
            var match = Sample().Match(line);
            Assert.True(match.Success, $"not a Prometheus sample: {line}");
            samples[match.Groups[1].Value] = double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        }
        return samples;
    }

    [GeneratedRegex("""^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})?) (\S+)$""")]
    private static partial Regex Sample();
}
