using System.Net;
using System.Text;
using Microsoft.Data.Sqlite;
using Tunnel.Cluster.Spool;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// The outbox's safety net, from the outside (issue 12): a message in the spool whose queue was
/// never told (the notice was lost: the node died right after the commit) is found by the node's
/// sweep and delivered; rows nothing can use are removed by the orphan sweep, each with a
/// mail-log line. The real executable, its SQLite spool seeded before it starts.
/// </summary>
public sealed class LostNoticeIsSwept : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tunnel-swept-").FullName;

    /// <summary>At the production defaults (sweep-interval 1m): the first sweep comes within 10 s of the start.</summary>
    [Fact]
    public async Task Mail_whose_queue_was_never_told_is_delivered_by_the_sweep()
    {
        await using var dns = await TestDnsServer.StartAsync();
        await using var sink = SinkMx.Start(IPAddress.IPv6Loopback);
        dns.Zone.Mx("example.com", 10, "mx1.example.com").Aaaa("mx1.example.com", "::1");
        var data = Path.Combine(_directory, "data");
        var id = await SeedAsync(data, "lost@example.com", DateTimeOffset.UtcNow.AddMinutes(-2));

        await using var node = await NodeProcess.StartAsync(await ConfigAsync(dns, sink, data, ""));

        var received = Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(60)));
        Assert.Equal(["lost@example.com"], received.Recipients);
        Assert.Contains("Subject: lost notice", received.Text);
        await Eventually.Until(() => node.Output.Any(l => l.Contains($"{id}: removed from example.com queue")), TimeSpan.FromSeconds(30),
            "the swept message to leave the queue");
        Assert.Contains(node.Output, l => l.Contains("were not adopted by their queue"));
    }

    /// <summary>orphan-age shortened to 2 s (the default is 1 h: the same sweep on a longer timer).</summary>
    [Fact]
    public async Task Bodies_without_references_and_references_without_bodies_are_swept_and_logged()
    {
        await using var dns = await TestDnsServer.StartAsync();
        await using var sink = SinkMx.Start(IPAddress.IPv6Loopback);
        var data = Path.Combine(_directory, "data");
        var old = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds();
        await SeedAsync(data, null, DateTimeOffset.UtcNow);
        await ExecuteAsync(data, $"""
            INSERT INTO tunnel_spool (message_id, body, created_at) VALUES ('01M0RPHANB0DY0000001', X'00', {old});
            INSERT INTO tunnel_spool_ref (message_id, domain, adopted, created_at) VALUES ('01M0RPHANREF00000001', 'example.com', 1, {old});
            """);

        await using var node = await NodeProcess.StartAsync(await ConfigAsync(dns, sink, data, "tunnel.queue.orphan-age = 2s"));

        await Eventually.Until(() => node.Output.Any(l => l.Contains("01M0RPHANB0DY0000001: orphaned body removed from the spool"))
                                     && node.Output.Any(l => l.Contains("01M0RPHANREF00000001: orphaned reference of example.com removed")),
            TimeSpan.FromSeconds(60), "both orphans to be swept");
        var spool = Spool(data);
        Assert.Equal(0, await spool.CountAsync(CancellationToken.None));
        Assert.Equal(0, await spool.CountReferencesAsync(CancellationToken.None));
    }

    /// <summary>What a node's intake commits, without the notice to the queue: body and reference, dated <paramref name="at"/>.</summary>
    private static async Task<MessageId?> SeedAsync(string data, string? recipient, DateTimeOffset at)
    {
        Directory.CreateDirectory(data);
        var spool = Spool(data);
        await spool.InitialiseAsync(CancellationToken.None);
        if (recipient is null) return null;
        var id = MessageId.New(at);
        var body = Encoding.ASCII.GetBytes("Subject: lost notice\r\n\r\nfound by the sweep\r\n");
        var to = Mailbox.Parse(recipient);
        var mail = new NewMail(to.Domain, id, new Envelope(Mailbox.Parse("sender@ip4only.example")), [new Recipient(to)], body.Length, at);
        Assert.True(await spool.StoreAsync(id, body, [mail], at, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30)));
        SqliteConnection.ClearAllPools();
        return id;
    }

    private static SpoolStore Spool(string data) =>
        new(() => new SqliteConnection($"Data Source={Path.Combine(data, "spool.db")};Pooling=False"));

    private static async Task ExecuteAsync(string data, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "spool.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<string> ConfigAsync(TestDnsServer dns, SinkMx sink, string data, string extra)
    {
        var config = Path.Combine(_directory, "node.hocon");
        await File.WriteAllTextAsync(config, TunnelHocon.For(dns, sink.EndPoint.Port, listen: "\"127.0.0.7:0\"", ownAddresses: "\"127.0.0.7\"") + $"""

            tunnel.storage.sqlite.path = "{data}"
            tunnel.cluster.port = 0
            {extra}
            """);
        return config;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* temp directory */ }
    }
}
