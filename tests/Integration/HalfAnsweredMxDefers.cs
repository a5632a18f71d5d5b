using System.Text.RegularExpressions;
using ARSoft.Tools.Net.Dns;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 13, item 1, in the draft's set-up: mx1.example.com answers its A question (the tunnel's
/// own address) but its AAAA question (the real IPv6 server) times out or gets SERVFAIL. The
/// route is incomplete, so the mail is deferred with 4.4.3 and the failed lookup named, never
/// bounced as a loop; once the AAAA answers again, the queue's next try delivers it and the
/// sender hears nothing.
/// On main both cases fail at the first assertion: the first verdict is
/// "dsn=5.4.6, status=bounced (mail for example.com loops back to myself)" and a DSN goes out.
/// Timing: the tests' resolver waits dns.timeout = 2s per try and DnsClient tries 3 times, so
/// the timed-out attempt takes ~6 s; retries come after 1s. At the defaults (5s, so ~15 s; 5m)
/// the same code runs: the timeout surfaces as the same DnsClient error, whatever its length,
/// and a deferred attempt is retried by the schedule whatever the reason of the deferral.
/// </summary>
public sealed class HalfAnsweredMxDefers
{
    [Theory]
    [InlineData(DnsFault.NoAnswer, "timed out")]
    [InlineData(DnsFault.ServFail, "SERVFAIL")]
    public async Task Mail_waits_while_the_MX_host_AAAA_lookup_fails_and_is_delivered_once_it_answers(DnsFault fault, string reason)
    {
        await using var world = await TunnelWorld.StartAsync(zone: (zone, _) => zone.Fault("mx1.example.com", RecordType.Aaaa, fault));
        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));

        bool Verdict(string line) => line.Contains($"{id}: to=<user@example.com>") && line.Contains("dsn=");
        await world.WaitForLogAsync(Verdict, "the first attempt's verdict", seconds: 60);
        var first = world.LogLine(Verdict);
        Assert.Equal("dsn=4.4.3, status=deferred", Regex.Match(first, @"dsn=\S+, status=\w+").Value);
        Assert.Contains($"AAAA mx1.example.com: {reason}", first);

        world.Dns.Zone.Heal("mx1.example.com", RecordType.Aaaa);
        await world.ExampleCom.WaitForMessagesAsync(1, TimeSpan.FromSeconds(60));
        await world.WaitForLogAsync(l => Verdict(l) && l.Contains("status=sent"), "the retry delivered", seconds: 60);
        Assert.DoesNotContain(world.Tunnel.MailLog.Lines, l => l.Contains(id) && (l.Contains("status=bounced") || l.Contains("sender notified")));
        Assert.Empty(world.SenderMx.Messages); // no DSN
    }
}
