using System.Net;
using Tunnel.Cluster.Outbound.Policy;
using Tunnel.Cluster.Routing;
using Tunnel.Cluster.Spool;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// MTA-STS policies are kept in the spool database (SQLite and PostgreSQL), so the nodes of a
/// cluster fetch each one once: a second node (its own resolver, cache and spool connection on
/// the same database) uses the policy the first fetched; a new TXT id makes one node fetch
/// again and the other reuse that fetch.
/// </summary>
public sealed class MtaStsPolicySharedByTheCluster(SpoolDatabases databases) : IClassFixture<SpoolDatabases>
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task A_second_node_reuses_the_policy_the_first_fetched(string provider)
    {
        using var ca = new RemoteCa();
        await using var dns = await TestDnsServer.StartAsync();
        await using var policyHost = PolicyHttpsServer.Start(IPAddress.Loopback, ca.Issue("mta-sts.example.com"));
        policyHost.Policy = MtaStsWorld.Policy("enforce", "mx1.example.com");
        // TTL 0: each node's resolver asks again, so the new id below is seen at once.
        dns.Zone.Txt("_mta-sts.example.com", "v=STSv1; id=1", ttl: 0).A("mta-sts.example.com", "127.0.0.1");
        var connect = await databases.NewAsync(provider);
        var settings = new OutboundTlsSettings(TrustedCas: [ca.Certificate], MtaStsPort: policyHost.EndPoint.Port);

        async Task<MtaStsPolicies> NodeAsync()
        {
            var spool = new SpoolStore(connect);
            await spool.InitialiseAsync(CancellationToken.None);
            return new MtaStsPolicies(new RouteResolver([dns.EndPoint], TimeSpan.FromSeconds(2)), settings, spool);
        }
        var first = await NodeAsync();
        var second = await NodeAsync();

        var fetched = await first.PolicyAsync("example.com", CancellationToken.None);
        var reused = await second.PolicyAsync("example.com", CancellationToken.None);

        Assert.Equal((MtaStsMode.Enforce, "1"), (fetched!.Mode, fetched.Id));
        Assert.Equal((MtaStsMode.Enforce, "1", "mx1.example.com"), (reused!.Mode, reused.Id, string.Join(" ", reused.Mx)));
        Assert.Single(policyHost.Requests);
        Assert.Equal((1, 0), (first.Fetches, second.Fetches));

        // The domain publishes a new policy: whoever looks first fetches it, the other reuses that.
        policyHost.Policy = MtaStsWorld.Policy("testing", "mx1.example.com");
        dns.Zone.RemoveTxt("_mta-sts.example.com").Txt("_mta-sts.example.com", "v=STSv1; id=2", ttl: 0);
        Assert.Equal(MtaStsMode.Testing, (await second.PolicyAsync("example.com", CancellationToken.None))!.Mode);
        Assert.Equal(MtaStsMode.Testing, (await first.PolicyAsync("example.com", CancellationToken.None))!.Mode);
        Assert.Equal(2, policyHost.Requests.Count);
        Assert.Equal((1, 1), (first.Fetches, second.Fetches));
    }

    [Fact]
    public async Task Without_a_policy_host_the_domain_has_no_policy_and_the_reason_is_kept()
    {
        using var ca = new RemoteCa();
        await using var dns = await TestDnsServer.StartAsync();
        dns.Zone.Txt("_mta-sts.example.com", "v=STSv1; id=1").A("mta-sts.example.com", "127.0.0.1");
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0); // a port nobody listens on
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var policies = new MtaStsPolicies(new RouteResolver([dns.EndPoint], TimeSpan.FromSeconds(2)),
            new OutboundTlsSettings(TrustedCas: [ca.Certificate], MtaStsPort: port));

        Assert.Null(await policies.PolicyAsync("example.com", CancellationToken.None));
        Assert.StartsWith("fetching the policy from mta-sts.example.com failed", policies.LastProblem("example.com"));
    }
}
