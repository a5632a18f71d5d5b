using System.Net;
using Tunnel.Cluster.Routing;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// From a destination's MX hosts to the addresses we connect to, best first, never ourselves
/// (DESIGN, the MX role; draft §2.2). Routes are written "preference host address address…";
/// targets "host[address]". This tunnel is 192.0.2.10 and 2001:db8:7::10 on any port, and
/// listens on 127.0.0.1:25 and [::1]:25.
/// </summary>
public sealed class RoutePlannerTests
{
    private const int Port = 25;

    private static readonly OwnAddresses Own = new(
        [IPAddress.Parse("192.0.2.10"), IPAddress.Parse("2001:db8:7::10")],
        [new IPEndPoint(IPAddress.Loopback, 25), new IPEndPoint(IPAddress.IPv6Loopback, 25)],
        []);

    public static readonly Dictionary<string, (string[] Route, string Expected)> Scenarios = new()
    {
        // Draft §2.2: mx1's A record is the tunnel, its AAAA the real IPv6-only server.
        ["MX host with our A and its own AAAA keeps only the AAAA"] =
            (["10 mx1.example.com 192.0.2.10 2001:db8::25"], "mx1.example.com[2001:db8::25]"),
        ["MX host whose every address is ours loops"] =
            (["10 mx1.example.com 192.0.2.10 2001:db8:7::10"], "5.4.6 permanent: mail for example.com loops back to myself"),
        ["listen endpoints on the delivery port are ours"] =
            (["10 mx1.example.com 127.0.0.1 ::1"], "5.4.6 permanent: mail for example.com loops back to myself"),
        // Postfix (smtp_addr.c): the best MX being us means the others would send it back to us.
        ["best MX all ours loops even when a worse MX is foreign"] =
            (["10 mx1.example.com 192.0.2.10", "20 mx2.example.com 198.51.100.2"], "5.4.6 permanent: mail for example.com loops back to myself"),
        ["a better foreign MX before an all-ours MX is kept, the rest dropped"] =
            (["10 mx1.example.com 198.51.100.1", "20 mx2.example.com 192.0.2.10", "30 mx3.example.com 198.51.100.3"], "mx1.example.com[198.51.100.1]"),
        ["an equal-preference MX that is all ours drops its peers too"] =
            (["10 mx1.example.com 198.51.100.1", "10 mx2.example.com 192.0.2.10"], "5.4.6 permanent: mail for example.com loops back to myself"),
        ["foreign MXes are all kept in preference order"] =
            (["20 mx2.example.com 198.51.100.2", "10 mx1.example.com 198.51.100.1", "30 mx3.example.com 198.51.100.3"],
             "mx1.example.com[198.51.100.1] mx2.example.com[198.51.100.2] mx3.example.com[198.51.100.3]"),
        ["equal preferences keep the order DNS gave"] =
            (["10 b.example.com 198.51.100.2", "10 a.example.com 198.51.100.1"], "b.example.com[198.51.100.2] a.example.com[198.51.100.1]"),
        ["partly ours MX hosts keep their foreign addresses, worse MXes too"] =
            (["10 mx1.example.com 192.0.2.10 2001:db8::25", "20 mx2.example.com 192.0.2.10 198.51.100.2"],
             "mx1.example.com[2001:db8::25] mx2.example.com[198.51.100.2]"),
        ["IPv6 before IPv4 within a host, DNS order otherwise"] =
            (["10 mx.example.com 198.51.100.1 2001:db8::1 198.51.100.2 2001:db8::2"],
             "mx.example.com[2001:db8::1] mx.example.com[2001:db8::2] mx.example.com[198.51.100.1] mx.example.com[198.51.100.2]"),
        ["IPv6 first does not jump preferences"] =
            (["10 v4.example.com 198.51.100.1", "20 v6.example.com 2001:db8::1"], "v4.example.com[198.51.100.1] v6.example.com[2001:db8::1]"),
        ["IPv4-mapped form of our address is ours"] =
            (["10 mx.example.com ::ffff:192.0.2.10 2001:db8::25"], "mx.example.com[2001:db8::25]"),
        ["IPv4-mapped form of our only address loops"] =
            (["10 mx.example.com ::ffff:192.0.2.10"], "5.4.6 permanent: mail for example.com loops back to myself"),
        ["no addresses at all"] =
            (["10 mx.example.com"], "4.4.4 temporary: no address found for any MX host of example.com"),
        ["no MX hosts"] =
            ([], "4.4.4 temporary: no address found for any MX host of example.com"),
        ["an MX without addresses is skipped"] =
            (["10 empty.example.com", "20 mx.example.com 198.51.100.2"], "mx.example.com[198.51.100.2]"),
        ["an MX without addresses before an all-ours one still loops"] =
            (["10 empty.example.com", "20 mx.example.com 192.0.2.10"], "5.4.6 permanent: mail for example.com loops back to myself"),
        ["an MX without addresses is not mistaken for ours"] =
            (["10 empty.example.com", "10 mx.example.com 198.51.100.1"], "mx.example.com[198.51.100.1]"),
        ["a loopback address that is not our endpoint is kept"] =
            (["10 mx.example.com 127.0.0.2"], "mx.example.com[127.0.0.2]"),
    };

    public static TheoryData<string> ScenarioNames => new(Scenarios.Keys);

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void Plans(string name)
    {
        var (route, expected) = Scenarios[name];

        var plan = RoutePlanner.Plan(Route("example.com", route), Policy(Own, Port));

        Assert.Equal(expected, Describe(plan));
    }

    [Fact]
    public void Targets_use_the_delivery_port()
    {
        var plan = Assert.IsType<Targets>(RoutePlanner.Plan(Route("example.com", ["10 mx.example.com 198.51.100.1"]), Policy(Own, 2525)));

        var target = Assert.Single(plan.List);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.1"), 2525), target.EndPoint);
        Assert.Equal("mx.example.com[198.51.100.1]:2525", target.ToString());
    }

    [Theory]
    [InlineData(25, "5.4.6 permanent: mail for example.com loops back to myself")]
    [InlineData(2525, "mx.example.com[::1] mx.example.com[127.0.0.1]")]
    public void Our_listen_address_on_another_port_is_someone_else(int port, string expected)
    {
        // A test MX on 127.0.0.1:2525 beside our listener on 127.0.0.1:25 stays reachable.
        var plan = RoutePlanner.Plan(Route("example.com", ["10 mx.example.com 127.0.0.1 ::1"]), Policy(Own, port));

        Assert.Equal(expected, Describe(plan).Replace(":2525", ""));
    }

    [Theory]
    [InlineData("10 mx.example.com 127.0.0.2", 25, "5.4.6 permanent: mail for example.com loops back to myself")]
    [InlineData("10 mx.example.com ::ffff:127.0.0.2", 25, "5.4.6 permanent: mail for example.com loops back to myself")]
    [InlineData("10 mx.example.com 0.0.0.0", 25, "5.4.6 permanent: mail for example.com loops back to myself")]
    [InlineData("10 mx.example.com 127.0.0.2", 2526, "mx.example.com[127.0.0.2]:2526")]
    [InlineData("10 mx.example.com 127.0.0.2 2001:db8::25", 25, "mx.example.com[2001:db8::25]")]
    public void A_wildcard_listener_covers_every_loopback_address_on_its_port(string mx, int port, string expected)
    {
        var own = new OwnAddresses([], [new IPEndPoint(IPAddress.Any, 25)], []);

        Assert.Equal(expected, Describe(RoutePlanner.Plan(Route("example.com", [mx]), Policy(own, port))));
    }

    [Fact]
    public void An_implicit_MX_is_planned_like_any_other()
    {
        var route = new Route("example.com", [new MxHost("example.com", 0, [IPAddress.Parse("192.0.2.10"), IPAddress.Parse("2001:db8::25")])], ImplicitMx: true);

        Assert.Equal("example.com[2001:db8::25]", Describe(RoutePlanner.Plan(route, Policy(Own, Port))));
    }

    /// <summary>The planner with these scenarios' conventions: IPv6 first, DNS order kept among equal preferences.</summary>
    private static RoutingPolicy Policy(OwnAddresses own, int port) =>
        new(own, port, DefaultFamilyPolicy: AddressFamilyPolicy.Ipv6ThenIpv4);

    /// <summary>"10 mx.example.com 192.0.2.1 2001:db8::1" per MX host.</summary>
    private static Route Route(string domain, string[] hosts) =>
        new(domain, hosts.Select(h => h.Split(' ')).Select(f => new MxHost(f[1], int.Parse(f[0]), f[2..].Select(IPAddress.Parse).ToList())).ToList(), ImplicitMx: false);

    private static string Describe(DeliveryPlan plan) => plan switch
    {
        Targets t => string.Join(' ', t.List.Select(x => $"{x.Host}[{x.EndPoint.Address}]" + (x.EndPoint.Port == Port ? "" : $":{x.EndPoint.Port}"))),
        NoTargets n => $"{n.Dsn} {(n.Permanent ? "permanent" : "temporary")}: {n.Detail}",
        _ => throw new ArgumentOutOfRangeException(nameof(plan)),
    };
}
