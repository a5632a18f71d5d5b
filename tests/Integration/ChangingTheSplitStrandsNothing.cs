using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Data.Sqlite;
using Tunnel.Cluster.Queue;
using Tunnel.Messages.Mail;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 15: the split of a domain can change while mail is queued. With example.com split in
/// four, mail waits (the next hop is down) in all four sub-queues, which adopt it (their marks
/// are in the outbox, so the sweep no longer sees it). The node is stopped and started with the
/// split at two; the next hop comes back. Sub-queues 2 and 3 no longer get new mail, but they are
/// remembered, recover their journals and deliver what they hold: every message arrives once.
/// </summary>
public sealed class ChangingTheSplitStrandsNothing : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tunnel-split-").FullName;

    [Fact]
    public async Task Mail_adopted_under_the_old_split_is_delivered_after_it_changes()
    {
        await using var dns = await TestDnsServer.StartAsync();
        await using var sink = SinkMx.BindOnly(IPAddress.IPv6Loopback); // down: connections refused
        dns.Zone.Mx("example.com", 10, "mx1.example.com").Aaaa("mx1.example.com", "::1");
        var config = Path.Combine(_directory, "node.hocon");
        var data = Path.Combine(_directory, "data");
        async Task Configure(int parts) => await File.WriteAllTextAsync(config, TunnelHocon.For(dns, sink.EndPoint.Port,
            listen: "\"127.0.0.5:0\"", ownAddresses: "\"127.0.0.5\"", retry: "1h") + $$"""

            tunnel.storage.sqlite.path = "{{data}}"
            tunnel.cluster.port = 0
            tunnel.queue.split { "example.com" = {{parts}} }
            """);

        await Configure(parts: 4);
        var before = new List<string>();
        await using (var first = await NodeProcess.StartAsync(config))
        {
            for (var i = 0; i < 40 && before.Select(id => QueueSplit.Part(new MessageId(id), 4)).Distinct().Count() < 4; i++)
                before.Add(await SendAsync(first, $"old{i}@example.com", $"old-{i}"));
            Assert.Equal(4, before.Select(id => QueueSplit.Part(new MessageId(id), 4)).Distinct().Count());
            await Eventually.Until(() => before.All(id => first.Output.Any(l => l.Contains($"{id}: to=<") && l.Contains("status=deferred"))),
                TimeSpan.FromSeconds(60), "every message to be tried once and deferred");
            // Adopted: the rows say which sub-queue owns them, and that it has them.
            await Eventually.Until(() => Rows("SELECT COUNT(*) FROM tunnel_spool_ref WHERE adopted = 1") == before.Count,
                TimeSpan.FromSeconds(30), "every reference to be marked adopted");
            Assert.Equal(4, Rows("SELECT COUNT(DISTINCT part) FROM tunnel_spool_ref"));
            Assert.Equal(0, await first.TerminateAsync());
        }
        Assert.Empty(sink.Messages);

        await Configure(parts: 2);
        sink.Listen(); // the next hop is back
        await using var second = await NodeProcess.StartAsync(config);
        var after = new List<string>();
        for (var i = 0; i < 6; i++) after.Add(await SendAsync(second, $"new{i}@example.com", $"new-{i}"));
        // Remember-entities brings the four sub-queues back with what they hold; they wait out
        // their retry time unless told: the operator's retry.
        await Eventually.Until(async () => (await Cli.RunAsync("queue", "list", "--node", second.Admin!, "--json")).Json
                .GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("queue").GetString()).Distinct().Count() == 4,
            TimeSpan.FromSeconds(30), "the four sub-queues of the old split to run again with their mail");
        var retried = await Cli.RunAsync("queue", "retry", "--all", "--node", second.Admin!);
        Assert.Equal(0, retried.Code);

        var all = before.Concat(after).ToList();
        await Eventually.Until(() => all.All(id => second.Output.Any(l => l.Contains($"{id}: removed from example.com queue"))),
            TimeSpan.FromSeconds(60), "every message to be delivered and leave its queue");
        var tags = sink.Messages.Select(m => m.Text).Select(t => t[(t.IndexOf("Subject: ", StringComparison.Ordinal) + 9)..t.IndexOf('\r', t.IndexOf("Subject: ", StringComparison.Ordinal))]).ToList();
        Assert.Equal(Enumerable.Range(0, before.Count).Select(i => $"old-{i}").Concat(Enumerable.Range(0, 6).Select(i => $"new-{i}")).Order(), tags.Order());
        Assert.Equal(0, Rows("SELECT COUNT(*) FROM tunnel_spool_ref"));
        Assert.Equal(0, await second.TerminateAsync());
    }

    private static async Task<string> SendAsync(NodeProcess node, string to, string tag)
    {
        var (client, _) = await RawSmtpClient.OpenAsync(node.SmtpEndpoints.Single(e => e.AddressFamily == AddressFamily.InterNetwork));
        await using (client)
        {
            var reply = await client.SendMailAsync("a@ip4only.example", [to], Encoding.ASCII.GetBytes($"Subject: {tag}\r\n\r\nsplit\r\n.\r\n"));
            Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
            return reply[^20..];
        }
    }

    private long Rows(string sql)
    {
        var file = Directory.GetFiles(Path.Combine(_directory, "data"), "*.db", SearchOption.AllDirectories).Single(f => Path.GetFileName(f) == "spool.db");
        using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar());
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* temp directory */ }
    }
}
