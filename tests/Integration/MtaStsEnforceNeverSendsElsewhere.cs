using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// example.com's MTA-STS policy is in enforce mode (RFC 8461 §5): an MX host it does not list is
/// never connected to, and a listed one whose certificate cannot be verified is never sent the
/// message; both defer with 4.7.5, and the mail log and tunnel_mta_sts_failures_total say why.
/// </summary>
public sealed class MtaStsEnforceNeverSendsElsewhere
{
    [Fact]
    public async Task An_MX_host_the_policy_does_not_list_is_never_connected_to()
    {
        await using var sts = await MtaStsWorld.StartAsync(MtaStsWorld.Policy("enforce", "mx9.example.com", "*.mail.example.com"),
            ca => ca.Issue("mx1.example.com"));
        var world = sts.World;

        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));

        await world.WaitForLogAsync(l => l.Contains($"{id}: to=<user@example.com>") && l.Contains("dsn=4.7.5, status=deferred"), "the deferral");
        Assert.Contains("mx1.example.com is not an MX host of the MTA-STS policy (mode enforce, mx mx9.example.com *.mail.example.com)",
            world.LogLine(l => l.Contains($"{id}: to=<user@example.com>") && l.Contains("status=deferred")));
        Assert.Contains(world.Tunnel.MailLog.Lines, l => l.Contains("example.com: MTA-STS policy (mode enforce) not met, not sent there: mx1.example.com is not an MX host"));
        Assert.True(await sts.MetricAsync("tunnel_mta_sts_failures_total{mode=\"enforce\"}") >= 1);
        Assert.Equal(0, world.ExampleCom.ConnectionCount);
        Assert.Empty(world.ExampleCom.Messages);
    }

    [Fact]
    public async Task A_listed_MX_host_whose_certificate_is_not_valid_is_never_sent_the_message()
    {
        await using var sts = await MtaStsWorld.StartAsync(MtaStsWorld.Policy("enforce", "mx1.example.com"), _ => RemoteCa.SelfSigned("mx1.example.com"));
        var world = sts.World;

        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));

        await world.WaitForLogAsync(l => l.Contains($"{id}: to=<user@example.com>") && l.Contains("dsn=4.7.5, status=deferred"), "the deferral");
        Assert.Contains("certificate not verified: certificate of CN=mx1.example.com not trusted",
            world.LogLine(l => l.Contains($"{id}: to=<user@example.com>") && l.Contains("status=deferred")));
        Assert.True(world.ExampleCom.ConnectionCount >= 1); // asked, and refused over the certificate (TLS 1.3: after the server's side finished)
        Assert.Empty(world.ExampleCom.Messages);
    }
}
