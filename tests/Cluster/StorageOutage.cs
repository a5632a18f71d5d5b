using System.Net;
using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Integration;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Cluster;

/// <summary>
/// PostgreSQL goes away for a while. Meanwhile the node never says 250 (it answers 451 4.3.0 at
/// the end of DATA) and deliveries pause; when the database returns, mail queued before the
/// outage is delivered and new mail is accepted again. Nothing that got 250 is lost, nothing
/// that got 451 is delivered.
/// </summary>
public sealed class StorageOutage
{
    [Fact]
    public async Task While_the_database_is_down_nothing_is_accepted_and_nothing_is_lost()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var connection = await postgres.CreateDatabaseAsync("tunnel_outage");
        await using var dns = await TestDnsServer.StartAsync();
        await using var sink = SinkMx.BindOnly(IPAddress.IPv6Loopback); // down until the end
        dns.Zone.Mx("example.com", 10, "mx1.example.com").Aaaa("mx1.example.com", "::1");
        await using var node = await InProcessNode.StartAsync(
            TunnelHocon.For(dns, sink.EndPoint.Port, listen: "\"127.0.0.9:0\"", ownAddresses: "\"127.0.0.9\"") + $$"""

            tunnel.storage.provider = postgresql
            tunnel.storage.postgresql.connection-string = "{{connection}}"
            tunnel.queue.enqueue-timeout = 5s
            """);
        var smtp = node.Smtp(AddressFamily.InterNetwork);

        var before = await SendAsync(smtp, "before");
        Assert.StartsWith("250 2.0.0 Ok: queued as", before);
        var beforeId = before[^20..];
        await Eventually.Until(() => node.MailLog.Lines.Any(l => l.Contains($"{beforeId}: to=<") && l.Contains("status=deferred")),
            TimeSpan.FromSeconds(30), "the first message to be deferred (next hop down)");

        await postgres.StopAsync();
        var during = await SendAsync(smtp, "during");
        Assert.StartsWith("451 4.3.0", during);

        await postgres.StartAgainAsync();
        sink.Listen();
        // The node comes back by itself: new mail is accepted again …
        string? after = null;
        await Eventually.Until(async () => (after = await SendAsync(smtp, "after")).StartsWith("250"), TimeSpan.FromSeconds(60),
            "mail to be accepted again after the database returned");
        // … and what was queued before the outage, and after, is delivered.
        await Eventually.Until(() => Tags(sink).Contains("before") && Tags(sink).Contains("after"), TimeSpan.FromSeconds(90),
            "the messages accepted before and after the outage to arrive");
        Assert.DoesNotContain("during", Tags(sink));
    }

    private static IReadOnlyList<string> Tags(SinkMx sink) => sink.Messages.Select(ClusterHarness.TagOf).ToList();

    private static async Task<string> SendAsync(IPEndPoint smtp, string tag)
    {
        var (client, _) = await RawSmtpClient.OpenAsync(smtp);
        await using (client)
            return await client.SendMailAsync("a@ip4only.example", [$"{tag}@example.com"], Encoding.ASCII.GetBytes($"Subject: {tag}\r\nX-Tag: {tag}\r\n\r\nx\r\n.\r\n"));
    }
}
