using System.Net;
using System.Text;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Cluster;

/// <summary>
/// SIGTERM to a node of a cluster: it refuses new connections with 421 4.3.2, lets the session in
/// the middle of a message finish (250) and then closes it with 421 4.3.2, hands its domains to
/// the other nodes and exits 0. Nothing is lost: the message it took while leaving and the mail
/// it held for a destination that was down are delivered by the others.
/// </summary>
public sealed class GracefulLeave
{
    [Fact]
    public async Task A_leaving_node_finishes_its_sessions_hands_off_its_mail_and_exits_0()
    {
        await using var cluster = await ClusterHarness.StartAsync(nodes: 3, domains: 4, extraSettings: "smtp.drain-timeout = 60s");
        // d3.example's MX host moves to a server that is down (bound, not listening) until the end.
        await using var down = SinkMx.BindOnly(new IPEndPoint(IPAddress.Parse("127.0.0.4"), cluster.SinkV6.EndPoint.Port));
        cluster.Dns.Zone.Remove("mx.d3.example").A("mx.d3.example", "127.0.0.4");

        // Mail for the dead destination, accepted by node 2 (whoever owns d3.example, it waits).
        // Right after the cluster formed, a domain's first message may get 451 while its shard is
        // allocated; a client retries, and so does this one.
        await ClusterHarness.SendUntilAcceptedAsync(cluster.Smtp(2), "waiting@d3.example", "waiting",
            TimeSpan.FromMinutes(1), "node 2 to accept mail for d3.example");

        var (client, _) = await RawSmtpClient.OpenAsync(cluster.Smtp(2));
        await using (client)
        {
            await client.CommandAsync("EHLO client.example");
            await client.CommandAsync("MAIL FROM:<load@ip4only.example>");
            await client.CommandAsync("RCPT TO:<inflight@d0.example>");
            Assert.StartsWith("354", await client.CommandAsync("DATA"));
            await client.SendAsync(Encoding.ASCII.GetBytes("Subject: in flight\r\nX-Tag: inflight\r\n\r\nhalf"));

            var leaving = cluster.Node(2).TerminateAsync(); // SIGTERM
            await Eventually.Until(async () =>
            {
                var (probe, greeting) = await RawSmtpClient.OpenAsync(cluster.Smtp(2));
                await probe.DisposeAsync();
                return greeting.StartsWith("421 4.3.2");
            }, TimeSpan.FromSeconds(30), "new connections to the leaving node to get 421 4.3.2");

            await client.SendAsync(Encoding.ASCII.GetBytes(" and the rest\r\n.\r\n"));
            Assert.StartsWith("250 2.0.0 Ok: queued as", await client.ReadReplyAsync());
            Assert.StartsWith("421 4.3.2", await client.ReadReplyAsync()); // then goodbye
            Assert.True(await client.IsClosedByServerAsync());

            Assert.Equal(0, await leaving);
        }

        await Eventually.Until(() => cluster.Delivered.Any(m => ClusterHarness.TagOf(m) == "inflight"), TimeSpan.FromMinutes(2),
            "the message accepted while leaving to be delivered by the others");
        down.Listen();
        await Eventually.Until(() => down.Messages.Any(m => ClusterHarness.TagOf(m) == "waiting"), TimeSpan.FromMinutes(2),
            "the mail the leaving node held for a dead destination to be delivered once it is back");
    }
}
