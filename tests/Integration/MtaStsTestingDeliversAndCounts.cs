using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// example.com's MTA-STS policy is in testing mode (RFC 8461 §5): mx1.example.com's certificate
/// cannot be verified, which enforce would refuse; the mail is delivered anyway (opportunistic
/// TLS, tls=may), and the failure is logged and counted in tunnel_mta_sts_failures_total{mode="testing"}.
/// </summary>
public sealed class MtaStsTestingDeliversAndCounts
{
    [Fact]
    public async Task Mail_is_delivered_and_what_enforce_would_refuse_is_logged_and_counted()
    {
        await using var sts = await MtaStsWorld.StartAsync(MtaStsWorld.Policy("testing", "mx1.example.com"), _ => RemoteCa.SelfSigned("mx1.example.com"));
        var world = sts.World;

        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));

        Assert.Contains(", tls=may, tls-protocol=Tls1", await world.SentLineAsync(id));
        Assert.NotNull(Assert.Single(world.ExampleCom.Messages).TlsProtocol);
        Assert.Contains(world.Tunnel.MailLog.Lines, l => l.Contains(
            "example.com: MTA-STS policy (mode testing) not met, delivered anyway: mx1.example.com: certificate of CN=mx1.example.com not trusted"));
        Assert.Equal(1, await sts.MetricAsync("tunnel_mta_sts_failures_total{mode=\"testing\"}"));
    }
}
