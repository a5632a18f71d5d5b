using System.Text;
using Tunnel.Cluster.Observability;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// Issue 15: the per-destination series on /metrics. A split domain's sub-queues on one node are
/// one line per domain (and how many of them run here, so that summed over the nodes it shows the
/// spread); only the busiest destinations and the split ones are reported, so that a node with
/// many domains serves a bounded number of series; and a destination that falls out of the top
/// loses its series instead of keeping a stale value.
/// </summary>
public sealed class DestinationMetricsTests
{
    private static async Task<string> ScrapeAsync(TunnelMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task Sub_queues_add_up_per_destination_and_the_quiet_ones_are_left_out()
    {
        var metrics = new TunnelMetrics { Destinations = 2 };
        metrics.WatchDestinations(["hot.example"]);
        var hourAgo = DateTimeOffset.UtcNow.AddHours(-1);

        metrics.QueueChanged("hot.example", 40, hourAgo, attempts: 10);
        metrics.QueueChanged("hot.example#2", 35, DateTimeOffset.UtcNow, attempts: 7, down: true);
        metrics.QueueChanged("big.example", 500, DateTimeOffset.UtcNow, attempts: 10);
        metrics.QueueChanged("mid.example", 100, DateTimeOffset.UtcNow);
        metrics.QueueChanged("small.example", 1, DateTimeOffset.UtcNow);
        var text = await ScrapeAsync(metrics);

        Assert.Contains("tunnel_destination_messages{domain=\"hot.example\"} 75", text);
        Assert.Contains("tunnel_destination_attempts{domain=\"hot.example\"} 17", text);
        Assert.Contains("tunnel_destination_sub_queues{domain=\"hot.example\"} 2", text);
        Assert.Contains("tunnel_destination_down{domain=\"hot.example\"} 1", text);
        Assert.Matches("tunnel_destination_oldest_age_seconds\\{domain=\"hot.example\"\\} 360[0-9]", text);
        Assert.Contains("tunnel_destination_messages{domain=\"big.example\"} 500", text); // the top two: big, mid
        Assert.Contains("tunnel_destination_messages{domain=\"mid.example\"} 100", text);
        Assert.DoesNotContain("small.example", text);
        Assert.Contains("tunnel_queue_messages 676", text); // the node's total still counts everything

        metrics.QueueStopped("big.example");
        metrics.QueueChanged("mid.example", 0, null);
        metrics.QueueChanged("small.example", 3, DateTimeOffset.UtcNow);
        text = await ScrapeAsync(metrics);

        Assert.DoesNotContain("big.example", text); // gone from the node: no stale series
        Assert.Contains("tunnel_destination_messages{domain=\"small.example\"} 3", text);
        Assert.DoesNotContain("mid.example", text); // emptied: hot (75) and small (3) are the top two now
    }

    [Fact]
    public async Task Deliveries_are_counted_by_domain_for_the_split_domains_only()
    {
        var metrics = new TunnelMetrics();
        metrics.WatchDestinations(["Hot.Example"]);

        metrics.Delivery(MailLog.Sent, "ipv6", TimeSpan.FromSeconds(1), "hot.example");
        metrics.Delivery(MailLog.Sent, "ipv6", TimeSpan.FromSeconds(1), "hot.example");
        metrics.Delivery("deferred", "ipv4", TimeSpan.Zero, "hot.example");
        metrics.Delivery(MailLog.Sent, "ipv6", TimeSpan.FromSeconds(1), "other.example");
        var text = await ScrapeAsync(metrics);

        Assert.Contains("tunnel_destination_deliveries_total{domain=\"hot.example\",status=\"sent\"} 2", text);
        Assert.Contains("tunnel_destination_deliveries_total{domain=\"hot.example\",status=\"deferred\"} 1", text);
        Assert.DoesNotContain("other.example", text);
        Assert.Contains("tunnel_deliveries_total{status=\"sent\",family=\"ipv6\"} 3", text);
    }
}
