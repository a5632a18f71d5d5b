using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// example.com publishes an MTA-STS policy in enforce mode that lists mx1.example.com, whose
/// certificate (from the CA the node trusts) names it: mail goes over verified TLS, the mail log
/// says tls=mta-sts with the protocol and cipher, and the policy is fetched once for two messages
/// (cached by max_age while the TXT id stays the same).
/// </summary>
public sealed class MtaStsEnforceDeliversOverVerifiedTls
{
    [Fact]
    public async Task Mail_goes_over_verified_TLS_and_the_policy_is_fetched_once()
    {
        await using var sts = await MtaStsWorld.StartAsync(MtaStsWorld.Policy("enforce", "mx1.example.com"), ca => ca.Issue("mx1.example.com"));
        var world = sts.World;

        for (var i = 1; i <= 2; i++)
        {
            var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, [$"user{i}@example.com"]));
            await world.WaitForLogAsync(l => l.Contains($"{id}: to=<user{i}@example.com>") && l.Contains("status=sent"), $"message {i} to be sent");
            var line = world.LogLine(l => l.Contains($"{id}: to=<user{i}@example.com>") && l.Contains("status=sent"));
            Assert.Matches(@"relay=mx1\.example\.com\[::1\]:\d+, family=ipv6, tls=mta-sts, tls-protocol=Tls1\d, tls-cipher=TLS_\w+, delay=", line);
        }

        var received = await world.ExampleCom.WaitForMessagesAsync(2, TimeSpan.FromSeconds(30));
        Assert.All(received, m => Assert.NotNull(m.TlsProtocol));
        Assert.Equal("GET /.well-known/mta-sts.txt HTTP/1.1 Host: mta-sts.example.com", Assert.Single(sts.PolicyHost.Requests));
        Assert.Equal(0, await sts.MetricAsync("tunnel_mta_sts_failures_total{mode=\"enforce\"}"));
    }
}
