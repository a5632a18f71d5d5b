using System.Net;
using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// The cluster's storage: journal, snapshots and spool in a real PostgreSQL server (started by
/// the test). A message accepted by one node, whose next hop is down, is delivered by a fresh
/// node on the same database after the first one stopped: everything it needed was in PostgreSQL.
/// </summary>
public sealed class PostgresStorage
{
    [Fact]
    public async Task A_queued_message_survives_the_node_in_PostgreSQL()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var connection = await postgres.CreateDatabaseAsync("tunnel_pg_storage");
        await using var dns = await TestDnsServer.StartAsync();
        await using var sink = SinkMx.BindOnly(IPAddress.IPv6Loopback);
        dns.Zone.Mx("example.com", 10, "mx1.example.com").Aaaa("mx1.example.com", "::1");
        var hocon = TunnelHocon.For(dns, sink.EndPoint.Port, listen: "\"127.0.0.8:0\"", ownAddresses: "\"127.0.0.8\"") + $$"""

            tunnel.storage.provider = postgresql
            tunnel.storage.postgresql.connection-string = "{{connection}}"
            """;

        string id;
        await using (var first = await InProcessNode.StartAsync(hocon))
        {
            Assert.Equal("PostgreSQL.15", first.Node.System.Settings.Config.GetString("akka.persistence.journal.sql.provider-name"));
            var (client, _) = await RawSmtpClient.OpenAsync(first.Smtp(AddressFamily.InterNetwork));
            await using (client)
                id = TunnelWorld.QueueId(await client.SendMailAsync("a@ip4only.example", ["pg@example.com"], Encoding.ASCII.GetBytes("Subject: pg\r\n\r\nx\r\n.\r\n")));
            await Eventually.Until(() => first.MailLog.Lines.Any(l => l.Contains($"{id}: to=<pg@example.com>") && l.Contains("status=deferred")),
                TimeSpan.FromSeconds(30), "a deferred attempt");
            Assert.Equal(1, await first.Node.Spool.CountAsync(CancellationToken.None));
        }

        sink.Listen();
        await using var second = await InProcessNode.StartAsync(hocon);
        var received = Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(60)));
        Assert.Contains($"id {id}", received.Text);
        await Eventually.Until(() => second.MailLog.Lines.Any(l => l.Contains($"{id}: removed from example.com queue")),
            TimeSpan.FromSeconds(30), "the message to leave the queue");
        Assert.Equal(0, await second.Node.Spool.CountAsync(CancellationToken.None));
    }
}
