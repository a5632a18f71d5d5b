using System.Net;

namespace Tunnel.Cluster.Routing;

/// <summary>
/// The answer to one A or AAAA question: the addresses (none for NODATA or NXDOMAIN, which are
/// final), or why there was no final answer (<see cref="Failure"/>: "timed out", "SERVFAIL").
/// </summary>
public sealed record AddressAnswer(IReadOnlyList<IPAddress> Addresses, string? Failure = null)
{
    public static AddressAnswer Failed(string reason) => new([], reason);
}

/// <summary>What DNS answered about one MX host (or the domain itself, for an implicit MX).</summary>
public sealed record HostAnswers(string Name, int Preference, AddressAnswer Aaaa, AddressAnswer A);

/// <summary>
/// Turns the answers about a domain's MX hosts into a <see cref="RouteLookup"/>. Pure; the
/// questions are <see cref="RouteResolver"/>'s. A temporary failure of any A or AAAA question
/// leaves its host unresolved (issue 13): its other answer is kept for the record but decides
/// nothing, because the draft's mx1.example.com whose A (our address) answered and whose AAAA
/// (the real server) timed out looks exactly like an MX host that is only us. Then:
/// - when some resolved host has an address, the route goes to <see cref="RoutePlanner"/>, which
///   uses only what cannot change when the missing answers come;
/// - when none has, there is nothing to plan with: 4.4.3 (defer) if a question failed, naming
///   each one, so that a temporary failure never turns into "no address" (5.4.4) or "no such
///   domain" (5.1.2), which are decided only on final answers.
/// </summary>
public static class RouteAnswers
{
    public static RouteLookup Assemble(string domain, bool implicitMx, IReadOnlyList<HostAnswers> answers)
    {
        var hosts = answers.Select(Host).ToList();
        if (hosts.Any(h => h.Resolved && h.Addresses.Count > 0)) return new Route(domain, hosts, implicitMx);

        var failed = hosts.SelectMany(h => h.FailedLookups ?? []).ToList();
        if (failed.Count > 0) return new RouteFailure(false, "4.4.3", Route.Incomplete(domain, failed));
        return implicitMx
            ? new RouteFailure(true, "5.1.2", $"domain {domain} has no MX and no address records")
            : new RouteFailure(true, "5.4.4", $"no MX host of {domain} has an address");
    }

    private static MxHost Host(HostAnswers answers)
    {
        var failed = new List<FailedLookup>();
        if (answers.Aaaa.Failure is { } v6) failed.Add(new FailedLookup("AAAA", answers.Name, v6));
        if (answers.A.Failure is { } v4) failed.Add(new FailedLookup("A", answers.Name, v4));
        var addresses = answers.Aaaa.Addresses.Concat(answers.A.Addresses).Distinct().ToList();
        return new MxHost(answers.Name, answers.Preference, addresses, failed);
    }
}
