using System.Net;
using Tunnel.Cluster.Routing;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// From a destination's MX hosts to the addresses we connect to, best first, never ourselves
/// (DESIGN, the MX role; draft §2.2). Routes are written "preference host address address…";
/// targets "host[address]". This tunnel is 192.0.2.10 and 2001:db8:7::10 on any port, and
/// listens on 127.0.0.1:25 and [::1]:25. The first table keeps one policy (IPv6 first, DNS order);
/// the later ones name theirs: family order and family policy, reachable families and NAT64,
/// prohibited ranges, the address limit; addresses are then written "host address Verdict → where".
/// "A!" or "AAAA!" in a route is a lookup of that host that timed out (issue 13: the host is
/// unresolved). Those rows fail on main, where a host kept just the addresses that answered: the
/// draft's mx1 with only our A planned as a loop (5.4.6, permanent) instead of 4.4.3.
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
        // Issue 13: a lookup that failed for now decides nothing; what cannot change is still used.
        ["the draft's mx1 with our A and its AAAA timed out waits, it does not loop"] =
            (["10 mx1.example.com 192.0.2.10 AAAA!"], "4.4.3 temporary: address lookup for example.com failed: AAAA mx1.example.com: timed out"),
        ["an unresolved host's foreign address is not used either"] =
            (["10 mx1.example.com 2001:db8::25 A!"], "4.4.3 temporary: address lookup for example.com failed: A mx1.example.com: timed out"),
        ["every failed lookup is named"] =
            (["10 mx1.example.com AAAA! A!", "10 mx2.example.com 192.0.2.10 AAAA!"],
             "4.4.3 temporary: address lookup for example.com failed: AAAA mx1.example.com: timed out; A mx1.example.com: timed out; AAAA mx2.example.com: timed out"),
        ["a better resolved MX carries the mail while a worse one is unresolved"] =
            (["10 mx1.example.com 198.51.100.1", "20 mx2.example.com 192.0.2.10 AAAA!"], "mx1.example.com[198.51.100.1]"),
        ["an unresolved MX of equal preference holds its peers back: it may be us"] =
            (["10 mx1.example.com 198.51.100.1", "10 mx2.example.com 192.0.2.10 AAAA!"],
             "4.4.3 temporary: address lookup for example.com failed: AAAA mx2.example.com: timed out"),
        ["an unresolved better MX holds the worse ones back"] =
            (["10 mx1.example.com AAAA! A!", "20 mx2.example.com 198.51.100.2"],
             "4.4.3 temporary: address lookup for example.com failed: AAAA mx1.example.com: timed out; A mx1.example.com: timed out"),
        ["an unresolved better MX is no loop even when the worse one is all ours"] =
            (["10 mx1.example.com 2001:db8::25 A!", "20 mx2.example.com 192.0.2.10"],
             "4.4.3 temporary: address lookup for example.com failed: A mx1.example.com: timed out"),
        ["a resolved better MX that is all ours loops whatever a worse one answers"] =
            (["10 mx1.example.com 192.0.2.10", "20 mx2.example.com 198.51.100.2 AAAA!"], "5.4.6 permanent: mail for example.com loops back to myself"),
        ["a resolved MX that is all ours loops with its unresolved peer"] =
            (["10 mx1.example.com 192.0.2.10 2001:db8:7::10", "10 mx2.example.com 198.51.100.2 AAAA!"], "5.4.6 permanent: mail for example.com loops back to myself"),
        ["an unresolved MX without any answer is not mistaken for one without addresses"] =
            (["10 mx1.example.com AAAA! A!"], "4.4.3 temporary: address lookup for example.com failed: AAAA mx1.example.com: timed out; A mx1.example.com: timed out"),
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

    private static readonly IReadOnlyList<Cidr> DefaultProhibited = RoutingPolicy.DefaultProhibited.Select(t => Cidr.Parse(t)!).ToList();

    /// <summary>The configured default: family policy any, both families reachable, no NAT64, nothing prohibited, 5 addresses.</summary>
    private static readonly RoutingPolicy Defaults = new(Own, Port);

    private static RoutingPolicy Families(AddressFamilyPolicy policy) => Defaults with { DefaultFamilyPolicy = policy };

    private static RoutingPolicy Reaching(AddressFamilies families, string? nat64 = null) =>
        Defaults with { Reachable = families, Nat64 = nat64 is null ? null : Nat64.Parse(nat64) ?? throw new ArgumentException(nat64) };

    private static RoutingPolicy Prohibiting => Defaults with { Prohibited = DefaultProhibited };

    private static RoutingPolicy Limit(int addresses) => Defaults with { AddressLimit = addresses };

    private const string Unreachable = "4.4.4 temporary: no MX address of example.com is reachable from this node: ";
    private const string OnlyProhibited = "5.4.4 permanent: the MX hosts of example.com point only to prohibited addresses (tunnel.outbound.prohibited)";
    private const string Loops = "5.4.6 permanent: mail for example.com loops back to myself";

    public static readonly Dictionary<string, (string[] Route, RoutingPolicy Policy, string Expected)> PolicyScenarios = new()
    {
        // Family policy "any" (the default): IPv6 and IPv4 alternate within a preference, so that a
        // broken family does not use up the address limit.
        ["any alternates IPv6 and IPv4, IPv6 first"] =
            (["10 mx.example.com 198.51.100.1 198.51.100.2 2001:db8::1 2001:db8::2"], Defaults,
             "mx.example.com[2001:db8::1] mx.example.com[198.51.100.1] mx.example.com[2001:db8::2] mx.example.com[198.51.100.2]"),
        ["any: the longer IPv6 list finishes the preference"] =
            (["10 mx.example.com 2001:db8::1 2001:db8::2 2001:db8::3 198.51.100.1"], Defaults,
             "mx.example.com[2001:db8::1] mx.example.com[198.51.100.1] mx.example.com[2001:db8::2] mx.example.com[2001:db8::3]"),
        ["any: the longer IPv4 list finishes the preference"] =
            (["10 mx.example.com 198.51.100.1 198.51.100.2 198.51.100.3 2001:db8::1"], Defaults,
             "mx.example.com[2001:db8::1] mx.example.com[198.51.100.1] mx.example.com[198.51.100.2] mx.example.com[198.51.100.3]"),
        ["any alternates across the hosts of one preference"] =
            (["10 a.example.com 198.51.100.1 198.51.100.2", "10 b.example.com 2001:db8::2"], Defaults,
             "b.example.com[2001:db8::2] a.example.com[198.51.100.1] a.example.com[198.51.100.2]"),
        ["any does not alternate across preferences"] =
            (["10 a.example.com 198.51.100.1 198.51.100.2", "20 b.example.com 2001:db8::2 198.51.100.3"], Defaults,
             "a.example.com[198.51.100.1] a.example.com[198.51.100.2] b.example.com[2001:db8::2] b.example.com[198.51.100.3]"),
        ["any with one family keeps DNS order"] =
            (["10 mx.example.com 198.51.100.2 198.51.100.1"], Defaults, "mx.example.com[198.51.100.2] mx.example.com[198.51.100.1]"),
        ["ipv4-then-ipv6: IPv4 first within a preference"] =
            (["10 mx.example.com 2001:db8::1 198.51.100.1 2001:db8::2 198.51.100.2"], Families(AddressFamilyPolicy.Ipv4ThenIpv6),
             "mx.example.com[198.51.100.1] mx.example.com[198.51.100.2] mx.example.com[2001:db8::1] mx.example.com[2001:db8::2]"),
        ["ipv4-then-ipv6 does not jump preferences"] =
            (["10 a.example.com 2001:db8::1", "20 b.example.com 2001:db8::2 198.51.100.2"], Families(AddressFamilyPolicy.Ipv4ThenIpv6),
             "a.example.com[2001:db8::1] b.example.com[198.51.100.2] b.example.com[2001:db8::2]"),
        ["ipv4-only drops IPv6"] =
            (["10 mx.example.com 2001:db8::1 198.51.100.1 2001:db8::2", "20 mx2.example.com 2001:db8::3"], Families(AddressFamilyPolicy.Ipv4Only),
             "mx.example.com[198.51.100.1]"),
        ["ipv4-only to an IPv6-only destination waits"] =
            (["10 mx.example.com 2001:db8::1", "20 mx2.example.com 2001:db8::2"], Families(AddressFamilyPolicy.Ipv4Only),
             Unreachable + "it has IPv6 addresses; this node reaches Both and the family policy is Ipv4Only"),
        ["ipv6-only drops IPv4"] =
            (["10 mx.example.com 198.51.100.1 2001:db8::1"], Families(AddressFamilyPolicy.Ipv6Only), "mx.example.com[2001:db8::1]"),
        ["ipv6-only to an IPv4-only destination waits"] =
            (["10 mx.example.com 198.51.100.1"], Families(AddressFamilyPolicy.Ipv6Only),
             Unreachable + "it has IPv4 addresses; this node reaches Both and the family policy is Ipv6Only"),
        // An IPv4-mapped address in an AAAA record (a misconfiguration seen in the wild) is IPv4
        // everywhere: where it connects, which policy keeps it, where it is ordered, what is said.
        ["ipv6-only treats an IPv4-mapped address as IPv4"] =
            (["10 mx.example.com ::ffff:198.51.100.1 2001:db8::1"], Families(AddressFamilyPolicy.Ipv6Only), "mx.example.com[2001:db8::1]"),
        ["ipv6-only names an IPv4-mapped destination's family right"] =
            (["10 mx.example.com ::ffff:198.51.100.1"], Families(AddressFamilyPolicy.Ipv6Only),
             Unreachable + "it has IPv4 addresses; this node reaches Both and the family policy is Ipv6Only"),
        ["ipv6-then-ipv4 puts an IPv4-mapped address with IPv4"] =
            (["10 mx.example.com ::ffff:198.51.100.1 2001:db8::1"], Families(AddressFamilyPolicy.Ipv6ThenIpv4),
             "mx.example.com[2001:db8::1] mx.example.com[198.51.100.1]"),
        ["ipv4-then-ipv6 puts an IPv4-mapped address with IPv4"] =
            (["10 mx.example.com 2001:db8::1 ::ffff:198.51.100.1"], Families(AddressFamilyPolicy.Ipv4ThenIpv6),
             "mx.example.com[198.51.100.1] mx.example.com[2001:db8::1]"),
        ["any alternates IPv4-mapped addresses as IPv4"] =
            (["10 mx.example.com ::ffff:198.51.100.1 ::ffff:198.51.100.2 2001:db8::1 2001:db8::2"], Defaults,
             "mx.example.com[2001:db8::1] mx.example.com[198.51.100.1] mx.example.com[2001:db8::2] mx.example.com[198.51.100.2]"),
        ["an IPv6-only node reaches an IPv4-mapped address through NAT64"] =
            (["10 mx.example.com ::ffff:198.51.100.1"], Reaching(AddressFamilies.IPv6, "64:ff9b::/96"), "mx.example.com[64:ff9b::c633:6401]"),
        ["an IPv4-only node connects to an IPv4-mapped address over IPv4"] =
            (["10 mx.example.com ::ffff:198.51.100.1 2001:db8::1"], Reaching(AddressFamilies.IPv4), "mx.example.com[198.51.100.1]"),
        // tunnel.outbound.family-policy-by-domain.
        ["a domain's own family policy wins over the default"] =
            (["10 mx.example.com 2001:db8::1 198.51.100.1"],
             Defaults with { FamilyPolicyByDomain = new Dictionary<string, AddressFamilyPolicy> { ["example.com"] = AddressFamilyPolicy.Ipv4Only } },
             "mx.example.com[198.51.100.1]"),
        ["another domain's family policy does not apply"] =
            (["10 mx.example.com 2001:db8::1 198.51.100.1"],
             Defaults with { FamilyPolicyByDomain = new Dictionary<string, AddressFamilyPolicy> { ["example.org"] = AddressFamilyPolicy.Ipv4Only } },
             "mx.example.com[2001:db8::1] mx.example.com[198.51.100.1]"),
        ["a domain may be freed from a restrictive default"] =
            (["10 mx.example.com 198.51.100.1 2001:db8::1"],
             Families(AddressFamilyPolicy.Ipv4Only) with { FamilyPolicyByDomain = new Dictionary<string, AddressFamilyPolicy> { ["example.com"] = AddressFamilyPolicy.Ipv6ThenIpv4 } },
             "mx.example.com[2001:db8::1] mx.example.com[198.51.100.1]"),
        // tunnel.outbound.families: an IPv4-only node.
        ["an IPv4-only node skips IPv6 addresses"] =
            (["10 mx.example.com 2001:db8::1 198.51.100.1"], Reaching(AddressFamilies.IPv4), "mx.example.com[198.51.100.1]"),
        ["an IPv4-only node goes on to a worse MX it can reach"] =
            (["10 v6.example.com 2001:db8::1", "20 v4.example.com 198.51.100.2"], Reaching(AddressFamilies.IPv4), "v4.example.com[198.51.100.2]"),
        ["an IPv4-only node waits for an IPv6-only destination"] =
            (["10 mx.example.com 2001:db8::1 2001:db8::2"], Reaching(AddressFamilies.IPv4),
             Unreachable + "it has IPv6 addresses; this node reaches IPv4"),
        ["an IPv4-only node has no use for NAT64"] =
            (["10 mx.example.com 198.51.100.1"], Reaching(AddressFamilies.IPv4, "64:ff9b::/96"), "mx.example.com[198.51.100.1]"),
        // An IPv6-only node: IPv4 only through NAT64 (RFC 6052).
        ["an IPv6-only node reaches IPv4 through NAT64"] =
            (["10 mx.example.com 198.51.100.1"], Reaching(AddressFamilies.IPv6, "64:ff9b::/96"), "mx.example.com[64:ff9b::c633:6401]"),
        ["NAT64 addresses keep their family's place in the order"] =
            (["10 mx.example.com 198.51.100.1 198.51.100.2 2001:db8::1"], Reaching(AddressFamilies.IPv6, "64:ff9b::/96"),
             "mx.example.com[2001:db8::1] mx.example.com[64:ff9b::c633:6401] mx.example.com[64:ff9b::c633:6402]"),
        ["NAT64 with a network-specific /64 prefix"] =
            (["10 mx.example.com 198.51.100.1"], Reaching(AddressFamilies.IPv6, "2001:db8:122:344::/64"), "mx.example.com[2001:db8:122:344:c6:3364:100:0]"),
        ["NAT64 under ipv4-only"] =
            (["10 mx.example.com 2001:db8::1 198.51.100.1"], Reaching(AddressFamilies.IPv6, "64:ff9b::/96") with { DefaultFamilyPolicy = AddressFamilyPolicy.Ipv4Only },
             "mx.example.com[64:ff9b::c633:6401]"),
        ["ipv6-only forbids NAT64 to an IPv4-only destination"] =
            (["10 mx.example.com 198.51.100.1"], Reaching(AddressFamilies.IPv6, "64:ff9b::/96") with { DefaultFamilyPolicy = AddressFamilyPolicy.Ipv6Only },
             Unreachable + "it has IPv4 addresses; this node reaches IPv6 (NAT64 64:ff9b::/96) and the family policy is Ipv6Only"),
        ["an IPv6-only node without NAT64 waits for an IPv4-only destination"] =
            (["10 mx.example.com 198.51.100.1 198.51.100.2"], Reaching(AddressFamilies.IPv6), Unreachable + "it has IPv4 addresses; this node reaches IPv6"),
        ["an IPv6-only node without NAT64 keeps the IPv6 addresses"] =
            (["10 mx.example.com 198.51.100.1 2001:db8::1"], Reaching(AddressFamilies.IPv6), "mx.example.com[2001:db8::1]"),
        ["our IPv4 address is ours before NAT64 makes it something else"] =
            (["10 mx.example.com 192.0.2.10"], Reaching(AddressFamilies.IPv6, "64:ff9b::/96"), Loops),
        // 0.0.0.16 under 2001:db8:7::/96 is 2001:db8:7::10, our own address.
        ["a NAT64 address that is ours is ours"] =
            (["10 mx.example.com 0.0.0.16 2001:db8::25"], Reaching(AddressFamilies.IPv6, "2001:db8:7::/96"), "mx.example.com[2001:db8::25]"),
        ["a NAT64 address that is ours and nothing else loops"] =
            (["10 mx.example.com 0.0.0.16"], Reaching(AddressFamilies.IPv6, "2001:db8:7::/96"), Loops),
        ["a node that reaches nothing waits"] =
            (["10 mx.example.com 198.51.100.1 2001:db8::1"], Reaching(AddressFamilies.None), Unreachable + "it has IPv4, IPv6 addresses; this node reaches None"),
        // tunnel.outbound.prohibited, the default list.
        ["a prohibited address is skipped"] =
            (["10 mx.example.com 127.0.0.2 198.51.100.1"], Prohibiting, "mx.example.com[198.51.100.1]"),
        ["an MX of prohibited addresses is skipped"] =
            (["10 bad.example.com 0.0.0.0 ::", "20 good.example.com 198.51.100.2"], Prohibiting, "good.example.com[198.51.100.2]"),
        ["only prohibited addresses fail for good"] =
            (["10 mx.example.com 127.0.0.2 fe80::1 169.254.1.1 ff02::1 224.0.0.1 239.255.255.250 255.255.255.255 0.1.2.3 ::"], Prohibiting,
             OnlyProhibited),
        ["only prohibited addresses over several MX hosts"] =
            (["10 mx1.example.com 127.0.0.2", "20 mx2.example.com fe80::25"], Prohibiting, OnlyProhibited),
        ["an IPv4-mapped prohibited address is prohibited"] =
            (["10 mx.example.com ::ffff:127.0.0.2"], Prohibiting, OnlyProhibited),
        ["our own listen address is ours, not prohibited"] =
            (["10 mx.example.com 127.0.0.1"], Prohibiting, Loops),
        ["prohibited before a loop is still prohibited"] =
            (["10 mx1.example.com 127.0.0.2", "20 mx2.example.com 192.0.2.10"], Prohibiting, OnlyProhibited),
        // Reachability is this node's, not the mail's: temporary wins.
        ["prohibited beside unreachable waits"] =
            (["10 mx.example.com 127.0.0.2 2001:db8::1"], Prohibiting with { Reachable = AddressFamilies.IPv4 },
             Unreachable + "it has IPv4, IPv6 addresses; this node reaches IPv4"),
        // Issue 13: 5.4.4 and "unreachable" are decided on final answers only.
        ["prohibited beside an unresolved host waits"] =
            (["10 mx.example.com 127.0.0.2 AAAA!"], Prohibiting, "4.4.3 temporary: address lookup for example.com failed: AAAA mx.example.com: timed out"),
        ["a prohibited better MX and an unresolved worse one wait"] =
            (["10 mx1.example.com 127.0.0.2", "20 mx2.example.com A!"], Prohibiting, "4.4.3 temporary: address lookup for example.com failed: A mx2.example.com: timed out"),
        ["an unreachable better MX and an unresolved worse one wait for DNS"] =
            (["10 mx1.example.com 2001:db8::1", "20 mx2.example.com 2001:db8::2 A!"], Reaching(AddressFamilies.IPv4),
             "4.4.3 temporary: address lookup for example.com failed: A mx2.example.com: timed out"),
        ["nothing is prohibited unless configured"] =
            (["10 mx.example.com 169.254.1.1"], Defaults, "mx.example.com[169.254.1.1]"),
        // tunnel.outbound.address-limit.
        ["at most the address limit"] =
            (["10 mx.example.com 198.51.100.1 198.51.100.2 198.51.100.3"], Limit(2), "mx.example.com[198.51.100.1] mx.example.com[198.51.100.2]"),
        ["the address limit counts over preferences"] =
            (["10 a.example.com 198.51.100.1", "20 b.example.com 198.51.100.2", "30 c.example.com 198.51.100.3"], Limit(2),
             "a.example.com[198.51.100.1] b.example.com[198.51.100.2]"),
        ["the address limit leaves room for both families"] =
            (["10 mx.example.com 198.51.100.1 198.51.100.2 198.51.100.3 2001:db8::1"], Limit(2), "mx.example.com[2001:db8::1] mx.example.com[198.51.100.1]"),
        ["an address limit of one"] =
            (["10 mx.example.com 2001:db8::1 198.51.100.1"], Limit(1), "mx.example.com[2001:db8::1]"),
        ["five addresses by default"] =
            (["10 mx.example.com 198.51.100.1 198.51.100.2 198.51.100.3 198.51.100.4 198.51.100.5 198.51.100.6 198.51.100.7"], Defaults,
             "mx.example.com[198.51.100.1] mx.example.com[198.51.100.2] mx.example.com[198.51.100.3] mx.example.com[198.51.100.4] mx.example.com[198.51.100.5]"),
        ["skipped addresses do not count against the limit"] =
            (["10 mx.example.com 127.0.0.2 192.0.2.10 2001:db8::5 198.51.100.1 198.51.100.2"], Prohibiting with { AddressLimit = 2, Reachable = AddressFamilies.IPv4 },
             "mx.example.com[198.51.100.1] mx.example.com[198.51.100.2]"),
    };

    public static TheoryData<string> PolicyScenarioNames => new(PolicyScenarios.Keys);

    [Theory]
    [MemberData(nameof(PolicyScenarioNames))]
    public void Plans_by_policy(string name)
    {
        var (route, policy, expected) = PolicyScenarios[name];

        Assert.Equal(expected, Describe(RoutePlanner.Plan(Route("example.com", route), policy)));
    }

    /// <summary>What the planner made of every address (the admin endpoint and the log show it), in any order.</summary>
    public static readonly Dictionary<string, (string[] Route, RoutingPolicy Policy, string[] Expected)> AddressScenarios = new()
    {
        ["every verdict of a busy route"] =
        (
            [
                "10 a.example.com 198.51.100.1 2001:db8::1 127.0.0.2 fe80::1",
                "20 b.example.com 192.0.2.10 198.51.100.2 2001:db8::2",
                "30 c.example.com 192.0.2.10",
                "30 d.example.com 198.51.100.4",
                "40 e.example.com 198.51.100.5 2001:db8:7::10",
            ],
            Prohibiting with { AddressLimit = 3, DefaultFamilyPolicy = AddressFamilyPolicy.Ipv6ThenIpv4 },
            [
                "a.example.com 198.51.100.1 Use → 198.51.100.1:25",
                "a.example.com 2001:db8::1 Use → [2001:db8::1]:25",
                "a.example.com 127.0.0.2 Prohibited",
                "a.example.com fe80::1 Prohibited",
                "b.example.com 192.0.2.10 Ours",
                "b.example.com 198.51.100.2 OverLimit → 198.51.100.2:25",
                "b.example.com 2001:db8::2 Use → [2001:db8::2]:25",
                // The all-ours c.example.com is this tunnel: it and everything at or after its preference is behind us.
                "c.example.com 192.0.2.10 Ours",
                "d.example.com 198.51.100.4 BehindOurselves",
                "e.example.com 198.51.100.5 BehindOurselves",
                "e.example.com 2001:db8:7::10 Ours",
            ]
        ),
        ["a loop at the best preference puts its peers behind us"] =
        (
            ["10 mx1.example.com 198.51.100.1", "10 mx2.example.com 192.0.2.10 2001:db8:7::10", "20 mx3.example.com 2001:db8::3"],
            Defaults,
            [
                "mx1.example.com 198.51.100.1 BehindOurselves",
                "mx2.example.com 192.0.2.10 Ours",
                "mx2.example.com 2001:db8:7::10 Ours",
                "mx3.example.com 2001:db8::3 BehindOurselves",
            ]
        ),
        ["the draft's MX host: our A record and its own AAAA"] =
        (
            ["10 mx1.example.com 192.0.2.10 ::ffff:192.0.2.10 2001:db8::25"],
            Defaults,
            ["mx1.example.com 192.0.2.10 Ours", "mx1.example.com ::ffff:192.0.2.10 Ours", "mx1.example.com 2001:db8::25 Use → [2001:db8::25]:25"]
        ),
        ["an IPv4-only node"] =
        (
            ["10 mx.example.com 2001:db8::1 198.51.100.1"],
            Reaching(AddressFamilies.IPv4),
            ["mx.example.com 2001:db8::1 FamilyUnreachable", "mx.example.com 198.51.100.1 Use → 198.51.100.1:25"]
        ),
        ["an IPv6-only node without NAT64"] =
        (
            ["10 mx.example.com 2001:db8::1 198.51.100.1"],
            Reaching(AddressFamilies.IPv6),
            ["mx.example.com 2001:db8::1 Use → [2001:db8::1]:25", "mx.example.com 198.51.100.1 FamilyUnreachable"]
        ),
        ["an IPv6-only node with NAT64 connects to the synthesised address"] =
        (
            ["10 mx.example.com 2001:db8::1 198.51.100.1"],
            Reaching(AddressFamilies.IPv6, "64:ff9b::/96"),
            ["mx.example.com 2001:db8::1 Use → [2001:db8::1]:25", "mx.example.com 198.51.100.1 Use → [64:ff9b::c633:6401]:25"]
        ),
        ["a family policy"] =
        (
            ["10 mx.example.com 2001:db8::1 198.51.100.1", "20 mx2.example.com 2001:db8::2"],
            Families(AddressFamilyPolicy.Ipv4Only),
            ["mx.example.com 2001:db8::1 FamilyPolicy", "mx.example.com 198.51.100.1 Use → 198.51.100.1:25", "mx2.example.com 2001:db8::2 FamilyPolicy"]
        ),
        ["over the limit in a worse preference"] =
        (
            ["10 a.example.com 198.51.100.1", "20 b.example.com 198.51.100.2 2001:db8::2"],
            Limit(2),
            ["a.example.com 198.51.100.1 Use → 198.51.100.1:25", "b.example.com 2001:db8::2 Use → [2001:db8::2]:25", "b.example.com 198.51.100.2 OverLimit → 198.51.100.2:25"]
        ),
        ["an unresolved host and everything from its preference on are undecided"] =
        (
            ["10 a.example.com 198.51.100.1", "20 b.example.com 192.0.2.10 AAAA!", "20 c.example.com 198.51.100.3", "30 d.example.com 2001:db8::4"],
            Defaults,
            [
                "a.example.com 198.51.100.1 Use → 198.51.100.1:25",
                "b.example.com 192.0.2.10 Undecided",
                "c.example.com 198.51.100.3 Undecided",
                "d.example.com 2001:db8::4 Undecided",
            ]
        ),
        ["an address given twice is judged twice"] =
        (
            ["10 a.example.com 198.51.100.1", "20 b.example.com 198.51.100.1"],
            Defaults,
            ["a.example.com 198.51.100.1 Use → 198.51.100.1:25", "b.example.com 198.51.100.1 Use → 198.51.100.1:25"]
        ),
    };

    public static TheoryData<string> AddressScenarioNames => new(AddressScenarios.Keys);

    [Theory]
    [MemberData(nameof(AddressScenarioNames))]
    public void Judges_every_address(string name)
    {
        var (route, policy, expected) = AddressScenarios[name];

        var plan = RoutePlanner.Plan(Route("example.com", route), policy);

        Assert.Equal(expected.Order(StringComparer.Ordinal), plan.Addresses.Select(Describe).Order(StringComparer.Ordinal));
    }

    /// <summary>Every scenario of this class, with its policy.</summary>
    public static TheoryData<string> AllScenarios
    {
        get
        {
            var all = new TheoryData<string>();
            foreach (var name in Scenarios.Keys) all.Add($"plain: {name}");
            foreach (var name in PolicyScenarios.Keys) all.Add($"policy: {name}");
            foreach (var name in AddressScenarios.Keys) all.Add($"addresses: {name}");
            return all;
        }
    }

    /// <summary>
    /// Whatever the policy: each address of the route appears exactly once in <see cref="DeliveryPlan.Addresses"/>;
    /// the targets are exactly the addresses judged Use; only Use and OverLimit say where they would connect;
    /// OverLimit appears only once the limit is full.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllScenarios))]
    public void Every_address_is_accounted_for_exactly_once(string scenario)
    {
        var (kind, name) = (scenario.Split(": ", 2)[0], scenario.Split(": ", 2)[1]);
        var (hosts, policy) = kind switch
        {
            "plain" => (Scenarios[name].Route, Policy(Own, Port)),
            "policy" => (PolicyScenarios[name].Route, PolicyScenarios[name].Policy),
            _ => (AddressScenarios[name].Route, AddressScenarios[name].Policy),
        };
        var route = Route("example.com", hosts);

        var plan = RoutePlanner.Plan(route, policy);

        var given = route.Hosts.SelectMany(h => h.Addresses.Select(a => $"{h.Name} {a}")).Order(StringComparer.Ordinal);
        Assert.Equal(given, plan.Addresses.Select(a => $"{a.Host.Name} {a.Address}").Order(StringComparer.Ordinal));
        var used = plan.Addresses.Where(a => a.Verdict == AddressVerdict.Use).Select(a => new DeliveryTarget(a.Host.Name, a.ConnectTo!)).ToList();
        Assert.Equal(used.Order(TargetOrder), (plan is Targets t ? t.List : []).Order(TargetOrder));
        Assert.All(plan.Addresses, a => Assert.Equal(a.Verdict is AddressVerdict.Use or AddressVerdict.OverLimit, a.ConnectTo is not null));
        if (plan.Addresses.Any(a => a.Verdict == AddressVerdict.OverLimit)) Assert.Equal(policy.AddressLimit, used.Count);
        Assert.True(used.Count <= policy.AddressLimit);
    }

    private static readonly Comparer<DeliveryTarget> TargetOrder = Comparer<DeliveryTarget>.Create((x, y) => string.CompareOrdinal(x.ToString(), y.ToString()));

    private static readonly string[] ShuffledRoute =
    [
        "10 a.example.com 198.51.100.1", "10 b.example.com 198.51.100.2", "10 c.example.com 198.51.100.3",
        "20 d.example.com 198.51.100.4", "20 e.example.com 198.51.100.5",
        "30 f.example.com 198.51.100.6",
    ];

    /// <summary>RFC 5321 §5.1: hosts of equal preference in random order, never a worse preference before a better one.</summary>
    [Fact]
    public void Shuffling_reorders_within_a_preference_only()
    {
        var orders = new HashSet<string>();
        for (var seed = 0; seed < 50; seed++)
        {
            var plan = RoutePlanner.Plan(Route("example.com", ShuffledRoute), Defaults with { AddressLimit = 10, Shuffle = new Random(seed) });

            var hosts = Assert.IsType<Targets>(plan).List.Select(t => t.Host[..1]).ToList();
            Assert.Equal(["a", "b", "c", "d", "e", "f"], hosts.Order());
            Assert.Equal(["a", "b", "c"], hosts.Take(3).Order());
            Assert.Equal(["d", "e"], hosts.Skip(3).Take(2).Order());
            Assert.Equal("f", hosts[5]);
            orders.Add(string.Concat(hosts));
        }

        // Every order of the three best hosts shows up, and both of the two next.
        Assert.Equal(6, orders.Select(o => o[..3]).Distinct().Count());
        Assert.Equal(2, orders.Select(o => o[3..5]).Distinct().Count());
    }

    [Fact]
    public void The_same_seed_gives_the_same_plan()
    {
        string Plan(int seed) => Describe(RoutePlanner.Plan(Route("example.com", ShuffledRoute), Defaults with { Shuffle = new Random(seed) }));

        Assert.Equal(Plan(7), Plan(7));
    }

    [Fact]
    public void Shuffling_never_hides_a_loop()
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var plan = RoutePlanner.Plan(Route("example.com", ["10 a.example.com 198.51.100.1", "10 ours.example.com 192.0.2.10", "10 b.example.com 198.51.100.2"]),
                Defaults with { Shuffle = new Random(seed) });

            Assert.Equal(Loops, Describe(plan));
        }
    }

    /// <summary>The planner with these scenarios' conventions: IPv6 first, DNS order kept among equal preferences.</summary>
    private static RoutingPolicy Policy(OwnAddresses own, int port) =>
        new(own, port, DefaultFamilyPolicy: AddressFamilyPolicy.Ipv6ThenIpv4);

    /// <summary>"10 mx.example.com 192.0.2.1 2001:db8::1" per MX host; "A!" or "AAAA!" is a lookup that timed out.</summary>
    private static Route Route(string domain, string[] hosts) =>
        new(domain, hosts.Select(h => h.Split(' ')).Select(f => new MxHost(f[1], int.Parse(f[0]),
            f[2..].Where(t => !t.EndsWith('!')).Select(IPAddress.Parse).ToList(),
            f[2..].Where(t => t.EndsWith('!')).Select(t => new FailedLookup(t.TrimEnd('!'), f[1], "timed out")).ToList())).ToList(), ImplicitMx: false);

    private static string Describe(PlannedAddress a) =>
        $"{a.Host.Name} {a.Address} {a.Verdict}" + (a.ConnectTo is null ? "" : $" → {a.ConnectTo}");

    private static string Describe(DeliveryPlan plan) => plan switch
    {
        Targets t => string.Join(' ', t.List.Select(x => $"{x.Host}[{x.EndPoint.Address}]" + (x.EndPoint.Port == Port ? "" : $":{x.EndPoint.Port}"))),
        NoTargets n => $"{n.Dsn} {(n.Permanent ? "permanent" : "temporary")}: {n.Detail}",
        _ => throw new ArgumentOutOfRangeException(nameof(plan)),
    };
}
