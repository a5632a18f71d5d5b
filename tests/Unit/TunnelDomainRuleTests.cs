using System.Net;
using Tunnel.Cluster.Ingress;
using Tunnel.Cluster.Routing;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// tunnel.relay.verify-mx: the draft's set-up (an MX host with our A record beside its own AAAA)
/// is a tunnel domain; anything that merely points at us, or nowhere, is not; DNS trouble is
/// "try again", never "no". "A!"/"AAAA!" is a lookup of that host that timed out (issue 13); the
/// first two such rows fail on main, which judged the draft's half-answered mx1 NotTunneled (550).
/// </summary>
public sealed class TunnelDomainRuleTests
{
    private const int Port = 25;
    private static readonly HashSet<IPAddress> Public = [IPAddress.Parse("192.0.2.30"), IPAddress.Parse("192.0.2.31")];
    private static readonly OwnAddresses Own = new([.. Public, IPAddress.Parse("192.0.2.40")], [], []);

    private static MxHost Host(string name, int preference, params string[] addresses) =>
        new(name, preference, addresses.Where(a => !a.EndsWith('!')).Select(IPAddress.Parse).ToList(),
            addresses.Where(a => a.EndsWith('!')).Select(a => new FailedLookup(a.TrimEnd('!'), name, "timed out")).ToList());

    private static Route Mx(params MxHost[] hosts) => new("example.com", hosts, ImplicitMx: false);

    public static readonly TheoryData<string, RouteLookup, TunnelDomainVerdict> Cases = new()
    {
        { "the draft: our A beside the host's own AAAA", Mx(Host("mx1", 10, "192.0.2.30", "2001:db8::25")), TunnelDomainVerdict.Tunneled },
        { "our A beside a foreign A", Mx(Host("mx1", 10, "192.0.2.31", "198.51.100.25")), TunnelDomainVerdict.Tunneled },
        { "a v4-mapped spelling of our address", Mx(Host("mx1", 10, "::ffff:192.0.2.30", "2001:db8::25")), TunnelDomainVerdict.Tunneled },
        { "implicit MX: the domain's own A and AAAA", new Route("example.com", [Host("example.com", 0, "192.0.2.30", "2001:db8::25")], ImplicitMx: true), TunnelDomainVerdict.Tunneled },
        { "second MX is the tunneled one", Mx(Host("mx1", 10, "198.51.100.1"), Host("mx2", 20, "192.0.2.30", "2001:db8::25")), TunnelDomainVerdict.Tunneled },
        { "only our address: nowhere to go", Mx(Host("mx1", 10, "192.0.2.30")), TunnelDomainVerdict.NotTunneled },
        { "both our public addresses, nothing else", Mx(Host("mx1", 10, "192.0.2.30", "192.0.2.31")), TunnelDomainVerdict.NotTunneled },
        { "our address beside another of our own", Mx(Host("mx1", 10, "192.0.2.30", "192.0.2.40")), TunnelDomainVerdict.NotTunneled },
        { "our address beside an unspecified one", Mx(Host("mx1", 10, "192.0.2.30", "::")), TunnelDomainVerdict.NotTunneled },
        { "our address beside a multicast one", Mx(Host("mx1", 10, "192.0.2.30", "224.0.0.1")), TunnelDomainVerdict.NotTunneled },
        { "no address of ours at all", Mx(Host("mx1", 10, "198.51.100.1", "2001:db8::25")), TunnelDomainVerdict.NotTunneled },
        { "ours on one host, foreign on another", Mx(Host("mx1", 10, "192.0.2.30"), Host("mx2", 10, "2001:db8::25")), TunnelDomainVerdict.NotTunneled },
        { "best MX is only us: mail would loop", Mx(Host("mx0", 5, "192.0.2.31"), Host("mx1", 10, "192.0.2.30", "2001:db8::25")), TunnelDomainVerdict.NotTunneled },
        { "NXDOMAIN", new RouteFailure(true, "5.1.2", "NXDOMAIN"), TunnelDomainVerdict.NotTunneled },
        { "null MX", new RouteFailure(true, "5.1.10", "null MX"), TunnelDomainVerdict.NotTunneled },
        { "SERVFAIL", new RouteFailure(false, "4.4.3", "SERVFAIL"), TunnelDomainVerdict.Unknown },
        // Issue 13: verdicts on final answers only.
        { "the draft's mx1 whose AAAA timed out: may be tunneled", Mx(Host("mx1", 10, "192.0.2.30", "AAAA!")), TunnelDomainVerdict.Unknown },
        { "a foreign MX and ours beside an unresolved one: may be tunneled", Mx(Host("mx1", 10, "198.51.100.1"), Host("mx2", 20, "192.0.2.30", "AAAA!")), TunnelDomainVerdict.Unknown },
        { "an unresolved host's partial answer does not grant relaying", Mx(Host("mx1", 10, "192.0.2.30", "2001:db8::25", "A!")), TunnelDomainVerdict.Unknown },
        { "tunneled by a resolved host, a worse one unresolved", Mx(Host("mx1", 10, "192.0.2.30", "2001:db8::25"), Host("mx2", 20, "A!", "AAAA!")), TunnelDomainVerdict.Tunneled },
        { "a resolved best MX that is only us loops whatever the rest says", Mx(Host("mx0", 5, "192.0.2.31"), Host("mx1", 10, "192.0.2.30", "AAAA!")), TunnelDomainVerdict.NotTunneled },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Judges_the_route(string name, RouteLookup lookup, TunnelDomainVerdict expected) =>
        Assert.True(expected == TunnelDomainRule.Judge(lookup, Public, new RoutingPolicy(Own, Port)), name);
}
