using System.Net;
using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// "Never lose a message we said 250 to", with the real executable: the next hop is down, the
/// message is accepted and deferred, the node is SIGKILLed (no shutdown code runs), the next hop
/// comes back, the node is started again on the same data directory, and the message arrives.
/// The DomainQueue holding it comes back by itself (remember-entities); nobody sends new mail.
/// </summary>
public sealed class AcceptedMailSurvivesSigkill : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tunnel-sigkill-").FullName;

    [Fact]
    public async Task A_message_accepted_before_SIGKILL_is_delivered_after_restart()
    {
        await using var dns = await TestDnsServer.StartAsync();
        await using var sink = SinkMx.BindOnly(IPAddress.IPv6Loopback); // down: connections refused
        dns.Zone.Mx("example.com", 10, "mx1.example.com").Aaaa("mx1.example.com", "::1");

        var config = Path.Combine(_directory, "node.hocon");
        await File.WriteAllTextAsync(config, TunnelHocon.For(dns, sink.EndPoint.Port,
            listen: "\"127.0.0.5:0\"", ownAddresses: "\"127.0.0.5\"") + $"""

            tunnel.storage.sqlite.path = "{Path.Combine(_directory, "data")}"
            tunnel.cluster.port = 0
            """);

        string id;
        await using (var first = await NodeProcess.StartAsync(config))
        {
            var (client, _) = await RawSmtpClient.OpenAsync(first.SmtpEndpoints.Single(e => e.AddressFamily == AddressFamily.InterNetwork));
            await using (client)
            {
                var reply = await client.SendMailAsync("a@ip4only.example", ["durable@example.com"],
                    Encoding.ASCII.GetBytes("Subject: survive\r\n\r\nplease\r\n.\r\n"));
                Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
                id = reply[^20..];
            }
            // It was really tried while the next hop was down, and deferred.
            await Eventually.Until(() => first.Output.Any(l => l.Contains($"{id}: to=<durable@example.com>") && l.Contains("status=deferred")),
                TimeSpan.FromSeconds(60), "a deferred attempt in the mail log");
            await first.KillAsync();
        }
        Assert.Empty(sink.Messages);

        sink.Listen(); // the next hop is back
        await using var second = await NodeProcess.StartAsync(config);
        var received = Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(90)));
        Assert.Equal(["durable@example.com"], received.Recipients);
        Assert.Contains("Subject: survive", received.Text);
        Assert.Contains($"id {id}", received.Text);

        await Eventually.Until(() => second.Output.Any(l => l.Contains($"{id}: removed from example.com queue")),
            TimeSpan.FromSeconds(30), "the message to leave the queue");
        Assert.Equal(0, await second.TerminateAsync()); // SIGTERM: a clean exit
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* temp directory */ }
    }
}
