using System.Net;
using Tunnel.Cluster.Ingress;
using Tunnel.Cluster.Routing;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// Issue 13, item 1: from what DNS answered about a domain's MX hosts to the decision, through
/// <see cref="RouteAnswers"/> and <see cref="RoutePlanner"/>. This tunnel is 192.0.2.10 (also the
/// draft's public A record) and 2001:db8:7::10. Hosts are written "preference name aaaa=… a=…",
/// each answer empty (NODATA), "timeout", "servfail" or addresses separated by commas; a host
/// named like the domain with preference 0 is the implicit MX.
/// On main the half-answered rows ("the draft's mx1, AAAA …") came out "5.4.6 permanent: mail
/// for example.com loops back to myself": the host kept the A that answered (our address) and
/// the failure was dropped. The exhaustive test below states the invariant for every table.
/// </summary>
public sealed class RouteAnswersTests
{
    private static readonly IPAddress Ours4 = IPAddress.Parse("192.0.2.10");
    private static readonly IPAddress Ours6 = IPAddress.Parse("2001:db8:7::10");
    private static readonly RoutingPolicy Policy = new(new OwnAddresses([Ours4, Ours6], [], []), 25);
    private static readonly HashSet<IPAddress> Public = [Ours4];

    private const string DraftMx1Waits = "4.4.3 temporary: address lookup for example.com failed: AAAA mx1.example.com: ";

    public static readonly TheoryData<string, string[], string> Tables = new()
    {
        { "the draft's mx1, both answered: its AAAA", ["1 mx1.example.com aaaa=2001:db8::25 a=192.0.2.10"], "mx1.example.com[2001:db8::25]" },
        { "the draft's mx1, AAAA timed out: wait, no loop", ["1 mx1.example.com aaaa=timeout a=192.0.2.10"], DraftMx1Waits + "timed out" },
        { "the draft's mx1, AAAA SERVFAIL: wait, no loop", ["1 mx1.example.com aaaa=servfail a=192.0.2.10"], DraftMx1Waits + "SERVFAIL" },
        { "the draft's mx1, A timed out: wait too (the host is unresolved)", ["1 mx1.example.com aaaa=2001:db8::25 a=timeout"],
            "4.4.3 temporary: address lookup for example.com failed: A mx1.example.com: timed out" },
        { "both lookups of the only host failed", ["10 mx1.example.com aaaa=timeout a=servfail"],
            "4.4.3 temporary: address lookup for example.com failed: AAAA mx1.example.com: timed out; A mx1.example.com: SERVFAIL" },
        { "no host has an address, for good", ["10 mx1.example.com aaaa= a=", "20 mx2.example.com aaaa= a="],
            "5.4.4 permanent: no MX host of example.com has an address" },
        { "no address for good on one host, no answer on the other: wait, not 5.4.4", ["10 mx1.example.com aaaa= a=", "20 mx2.example.com aaaa=timeout a="],
            "4.4.3 temporary: address lookup for example.com failed: AAAA mx2.example.com: timed out" },
        { "implicit MX without addresses, for good", ["0 example.com aaaa= a="], "5.1.2 permanent: domain example.com has no MX and no address records" },
        { "implicit MX whose AAAA timed out: wait, not 5.1.2", ["0 example.com aaaa=timeout a="],
            "4.4.3 temporary: address lookup for example.com failed: AAAA example.com: timed out" },
        { "implicit MX, the draft's way, AAAA timed out", ["0 example.com aaaa=timeout a=192.0.2.10"],
            "4.4.3 temporary: address lookup for example.com failed: AAAA example.com: timed out" },
        { "a better resolved MX delivers while a worse one's AAAA timed out", ["10 mx1.example.com aaaa=2001:db8::1 a=", "20 mx2.example.com aaaa=timeout a=192.0.2.10"],
            "mx1.example.com[2001:db8::1]" },
        { "a worse resolved MX waits for a better one whose AAAA timed out", ["10 mx1.example.com aaaa=timeout a=192.0.2.10", "20 mx2.example.com aaaa=2001:db8::2 a="],
            DraftMx1Waits + "timed out" },
        { "a better MX that is only us loops, whatever a worse one failed to answer", ["10 mx1.example.com aaaa= a=192.0.2.10", "20 mx2.example.com aaaa=timeout a=198.51.100.2"],
            "5.4.6 permanent: mail for example.com loops back to myself" },
    };

    [Theory]
    [MemberData(nameof(Tables))]
    public void Decides(string name, string[] hosts, string expected) =>
        Assert.True(expected == Decide(Parse(hosts)), $"{name}: expected {expected}, got {Decide(Parse(hosts))}");

    /// <summary>
    /// The invariant, over every table of up to three hosts (preferences equal or not; each A and
    /// AAAA answered with nothing, our address or a foreign one, or failed): a decision made while
    /// a lookup failed holds whatever that lookup would have answered. A permanent verdict (5.4.6,
    /// 5.4.4, …) is the same for every completion, so it never comes from a temporary failure;
    /// targets are the first targets of every completion; anything else is 4.4.3. The verify-mx
    /// verdict likewise: Tunneled or NotTunneled only when every completion agrees, else Unknown.
    /// </summary>
    [Fact]
    public void A_failed_lookup_never_decides()
    {
        int[][] preferences = [[10], [10, 10], [10, 20], [10, 10, 10], [10, 10, 20], [10, 20, 20], [10, 20, 30]];
        var checkedTables = 0;
        foreach (var prefs in preferences)
            foreach (var table in EveryTable(prefs))
            {
                if (!table.Any(h => h.Aaaa.Failure is not null || h.A.Failure is not null)) continue;
                var decision = Decide(table);
                var verdict = Judge(table);
                foreach (var completion in Completions(table))
                {
                    var complete = Decide(completion);
                    if (decision.Contains(" permanent: "))
                        Assert.True(decision == complete, $"{Show(table)}: {decision}, but {Show(completion)}: {complete}");
                    else if (decision.Contains(" temporary: "))
                        Assert.True(decision.StartsWith("4.4.3 temporary: address lookup for example.com failed: "), $"{Show(table)}: {decision}");
                    else
                        Assert.True(complete.StartsWith(decision), $"{Show(table)}: {decision}, but {Show(completion)}: {complete}");
                    if (verdict != TunnelDomainVerdict.Unknown)
                        Assert.True(verdict == Judge(completion), $"{Show(table)}: {verdict}, but {Show(completion)}: {Judge(completion)}");
                }
                checkedTables++;
            }
        Assert.True(checkedTables > 10_000, $"only {checkedTables} tables checked");
    }

    private static string Decide(IReadOnlyList<HostAnswers> hosts) => Lookup(hosts) switch
    {
        RouteFailure f => $"{f.Dsn} {(f.Permanent ? "permanent" : "temporary")}: {f.Detail}",
        Route route => RoutePlanner.Plan(route, Policy) switch
        {
            Targets t => string.Join(' ', t.List.Select(x => $"{x.Host}[{x.EndPoint.Address}]")),
            NoTargets n => $"{n.Dsn} {(n.Permanent ? "permanent" : "temporary")}: {n.Detail}",
            _ => throw new ArgumentOutOfRangeException(nameof(hosts)),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(hosts)),
    };

    private static TunnelDomainVerdict Judge(IReadOnlyList<HostAnswers> hosts) => TunnelDomainRule.Judge(Lookup(hosts), Public, Policy);

    private static RouteLookup Lookup(IReadOnlyList<HostAnswers> hosts) =>
        RouteAnswers.Assemble("example.com", implicitMx: hosts is [{ Name: "example.com", Preference: 0 }], hosts);

    private static IReadOnlyList<HostAnswers> Parse(string[] hosts) => hosts.Select(h =>
    {
        var f = h.Split(' ');
        return new HostAnswers(f[1], int.Parse(f[0]), Answer(f[2], "aaaa="), Answer(f[3], "a="));
    }).ToList();

    private static AddressAnswer Answer(string field, string prefix)
    {
        var value = field.StartsWith(prefix) ? field[prefix.Length..] : throw new FormatException($"'{field}' is not {prefix}…");
        return value switch
        {
            "timeout" => AddressAnswer.Failed("timed out"),
            "servfail" => AddressAnswer.Failed("SERVFAIL"),
            "" => new AddressAnswer([]),
            _ => new AddressAnswer(value.Split(',').Select(IPAddress.Parse).ToList()),
        };
    }

    // Each answer: nothing, ours, a foreign address of the host (by its number), or failed.
    private static AddressAnswer[] Choices(int host, bool v6) =>
    [
        new([]),
        new([v6 ? Ours6 : Ours4]),
        new([IPAddress.Parse(v6 ? $"2001:db8::{host}" : $"198.51.100.{host}")]),
        AddressAnswer.Failed("timed out"),
    ];

    private static IEnumerable<IReadOnlyList<HostAnswers>> EveryTable(int[] preferences)
    {
        IEnumerable<IReadOnlyList<HostAnswers>> tables = [[]];
        for (var i = 0; i < preferences.Length; i++)
        {
            var (host, preference) = (i + 1, preferences[i]);
            tables = tables.SelectMany(t => Choices(host, v6: true).SelectMany(aaaa => Choices(host, v6: false).Select(a =>
                (IReadOnlyList<HostAnswers>)[.. t, new HostAnswers($"mx{host}.example.com", preference, aaaa, a)])));
        }
        return tables;
    }

    /// <summary>Every way the failed lookups of a table could have answered.</summary>
    private static IEnumerable<IReadOnlyList<HostAnswers>> Completions(IReadOnlyList<HostAnswers> table)
    {
        IEnumerable<IReadOnlyList<HostAnswers>> completions = [[]];
        for (var i = 0; i < table.Count; i++)
        {
            var host = table[i];
            var aaaas = host.Aaaa.Failure is null ? [host.Aaaa] : Choices(i + 1, v6: true)[..3];
            var as_ = host.A.Failure is null ? [host.A] : Choices(i + 1, v6: false)[..3];
            completions = completions.SelectMany(c => aaaas.SelectMany(aaaa => as_.Select(a =>
                (IReadOnlyList<HostAnswers>)[.. c, host with { Aaaa = aaaa, A = a }])));
        }
        return completions;
    }

    private static string Show(IReadOnlyList<HostAnswers> table) => string.Join(", ", table.Select(h =>
        $"{h.Preference} {h.Name} aaaa={Show(h.Aaaa)} a={Show(h.A)}"));

    private static string Show(AddressAnswer answer) => answer.Failure ?? string.Join(',', answer.Addresses);
}
