using System.Net;
using System.Net.Sockets;
using System.Text;
using MimeKit;
using Tunnel.Tests.Testing;

namespace Tunnel.Tests.Integration;

/// <summary>
/// The draft's world on loopback for delivery scenarios: a DNS server; example.com's IPv6-only
/// MX (mx1.example.com: our A record 127.0.0.2 and its own AAAA ::1, a sink on [::1]); the
/// IPv4-only sender domain ip4only.example (a sink on 127.0.0.3, where DSNs arrive); and a
/// tunnel node listening on 127.0.0.2 and ::1. Every next hop listens on the same port, the
/// tunnel's outbound port. Scenarios add their own zones and settings.
/// </summary>
public sealed class TunnelWorld : IAsyncDisposable
{
    public const string TunnelV4 = "127.0.0.2";
    public const string SenderMxV4 = "127.0.0.3";
    public const string Sender = "sender@ip4only.example";

    private TunnelWorld(TestDnsServer dns, SinkMx exampleCom, SinkMx senderMx, InProcessNode tunnel)
    {
        Dns = dns;
        ExampleCom = exampleCom;
        SenderMx = senderMx;
        Tunnel = tunnel;
    }

    public TestDnsServer Dns { get; }
    /// <summary>example.com's real server, on [::1].</summary>
    public SinkMx ExampleCom { get; }
    /// <summary>ip4only.example's server, on 127.0.0.3: where DSNs to our sender arrive.</summary>
    public SinkMx SenderMx { get; }
    public InProcessNode Tunnel { get; }
    public int Port => ExampleCom.EndPoint.Port;

    /// <param name="settings">HOCON lines inside <c>tunnel { }</c>, e.g. "queue.lifetime = 3s".</param>
    /// <param name="zone">Extra DNS records, given the common next-hop port.</param>
    public static async Task<TunnelWorld> StartAsync(string settings = "", Action<TestZone, int>? zone = null)
    {
        var dns = await TestDnsServer.StartAsync();
        var (exampleCom, senderMx) = StartSinksOnOnePort();
        dns.Zone.Mx("example.com", 1, "mx1.example.com").A("mx1.example.com", TunnelV4).Aaaa("mx1.example.com", "::1")
            .Mx("ip4only.example", 10, "mx1.ip4only.example").A("mx1.ip4only.example", SenderMxV4);
        zone?.Invoke(dns.Zone, exampleCom.EndPoint.Port);
        var hocon = TunnelHocon.For(dns, exampleCom.EndPoint.Port, listen: $"\"{TunnelV4}:0\", \"[::1]:0\"", ownAddresses: $"\"{TunnelV4}\"")
                    + $"\ntunnel {{\n{settings}\n}}\n";
        var tunnel = await InProcessNode.StartAsync(hocon);
        return new TunnelWorld(dns, exampleCom, senderMx, tunnel);
    }

    /// <summary>Sends one message to the tunnel over IPv4 and returns the reply to the data.</summary>
    public async Task<string> SendAsync(string? from, IEnumerable<string> to, string subject = "test", string body = "hello")
    {
        var (client, _) = await RawSmtpClient.OpenAsync(Tunnel.Smtp(AddressFamily.InterNetwork));
        await using (client)
        {
            var content = $"From: <{from ?? "mailer-daemon@ip4only.example"}>\r\nTo: <{string.Join(">, <", to)}>\r\nSubject: {subject}\r\n\r\n{body}\r\n.\r\n";
            return await client.SendMailAsync(from ?? "", to, Encoding.UTF8.GetBytes(content));
        }
    }

    /// <summary>The queue id from a "250 2.0.0 Ok: queued as ID" reply.</summary>
    public static string QueueId(string reply) =>
        reply.StartsWith("250 2.0.0 Ok: queued as ") ? reply[^20..] : throw new InvalidOperationException($"not queued: {reply}");

    public Task WaitForLogAsync(Func<string, bool> line, string what, int seconds = 30) =>
        Eventually.Until(() => Tunnel.MailLog.Lines.Any(line), TimeSpan.FromSeconds(seconds), what);

    public string LogLine(Func<string, bool> line) => Tunnel.MailLog.Lines.First(line);

    /// <summary>Waits for the mail-log line that says <paramref name="id"/> was sent to <paramref name="to"/>, and returns it.</summary>
    public async Task<string> SentLineAsync(string id, string to = "user@example.com")
    {
        bool Sent(string l) => l.Contains($"{id}: to=<{to}>") && l.Contains("status=sent");
        await WaitForLogAsync(Sent, "the delivery");
        return LogLine(Sent);
    }

    /// <summary>The DSN that reached the sender's MX, parsed with MimeKit.</summary>
    public async Task<(ReceivedMail Envelope, MimeMessage Message)> WaitForDsnAsync(int count = 1, int seconds = 30)
    {
        var received = (await SenderMx.WaitForMessagesAsync(count, TimeSpan.FromSeconds(seconds)))[count - 1];
        using var stream = new MemoryStream(received.Data);
        return (received, await MimeMessage.LoadAsync(stream));
    }

    public async ValueTask DisposeAsync()
    {
        await Tunnel.DisposeAsync();
        await ExampleCom.DisposeAsync();
        await SenderMx.DisposeAsync();
        await Dns.DisposeAsync();
    }

    /// <summary>A sink on [::1] and one on 127.0.0.3 with the same port number (retried if the port is taken there).</summary>
    private static (SinkMx V6, SinkMx V4) StartSinksOnOnePort()
    {
        for (var attempt = 1; ; attempt++)
        {
            var v6 = SinkMx.Start(IPAddress.IPv6Loopback);
            try
            {
                return (v6, SinkMx.Start(new IPEndPoint(IPAddress.Parse(SenderMxV4), v6.EndPoint.Port)));
            }
            catch (SocketException) when (attempt < 5)
            {
                v6.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
    }
}
