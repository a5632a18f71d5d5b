using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 16: most destinations publish no MTA-STS policy, and MTA-STS is on by default, so asking
/// for _mta-sts.&lt;domain&gt; TXT (and the cluster's database) on every delivery cost each
/// message a DNS query and a database read. The node remembers a "no record" answer for
/// <c>MtaStsPolicies.NoRecordFor</c>: three messages to example.com, which has no policy, cost one
/// TXT query, and all three are delivered as at level may.
/// </summary>
public sealed class MtaStsAbsenceIsRemembered
{
    [Fact]
    public async Task Three_messages_to_a_domain_without_a_policy_ask_for_its_record_once()
    {
        await using var world = await TunnelWorld.StartAsync();
        for (var i = 1; i <= 3; i++)
        {
            var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, [$"user{i}@example.com"]));
            await world.WaitForLogAsync(l => l.Contains($"{id}: to=<user{i}@example.com>") && l.Contains("status=sent"), $"message {i} to be sent");
        }

        Assert.Equal(1, world.Dns.QueriesFor("_mta-sts.example.com", "Txt"));
    }
}
