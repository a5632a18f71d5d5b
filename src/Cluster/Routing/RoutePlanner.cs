using System.Net;
using System.Net.Sockets;

namespace Tunnel.Cluster.Routing;

/// <summary>Why an address of a route is or is not connected to.</summary>
public enum AddressVerdict
{
    /// <summary>A target, in order.</summary>
    Use,
    /// <summary>This tunnel (own address, public address or a listen endpoint).</summary>
    Ours,
    /// <summary>In <c>tunnel.outbound.prohibited</c>.</summary>
    Prohibited,
    /// <summary>Of a family this node cannot reach, and no NAT64 prefix makes it reachable.</summary>
    FamilyUnreachable,
    /// <summary>Excluded by the destination's family policy (e.g. ipv4-only).</summary>
    FamilyPolicy,
    /// <summary>At or after an MX preference that is ourselves (the loop rule).</summary>
    BehindOurselves,
    /// <summary>Usable, but past the address limit of one attempt.</summary>
    OverLimit,
    /// <summary>
    /// At or after the preference of an MX host whose A or AAAA lookup failed for now: whether
    /// it may be used depends on the missing answer (that host may be ourselves).
    /// </summary>
    Undecided,
}

/// <summary>One address of a route and what the planner made of it.</summary>
/// <param name="ConnectTo">Where we would connect: the address itself, or its NAT64 synthesis.</param>
public sealed record PlannedAddress(MxHost Host, IPAddress Address, AddressVerdict Verdict, IPEndPoint? ConnectTo);

/// <summary>Where to connect, in order: an MX host's name (for TLS and the log) and one of its addresses.</summary>
public sealed record DeliveryTarget(string Host, IPEndPoint EndPoint)
{
    public override string ToString() => $"{Host}[{EndPoint.Address}]:{EndPoint.Port}";
}

/// <summary>The addresses to try, best first, or why there are none; <see cref="Addresses"/> says what happened to each.</summary>
public abstract record DeliveryPlan(IReadOnlyList<PlannedAddress> Addresses);
public sealed record Targets(IReadOnlyList<DeliveryTarget> List, IReadOnlyList<PlannedAddress> Addresses) : DeliveryPlan(Addresses);
public sealed record NoTargets(bool Permanent, string Dsn, string Detail, IReadOnlyList<PlannedAddress> Addresses) : DeliveryPlan(Addresses);

/// <summary>
/// Turns a <see cref="Route"/> into connection targets. Pure; the steps, in order:
/// 1. MX hosts by preference; hosts of equal preference in random order (RFC 5321 §5.1).
/// 2. The loop rule is Postfix's: an MX host whose every address is ours is this tunnel, so it
///    and every MX of equal or worse preference are dropped (mail there would come back to us);
///    when nothing is left the mail loops (5.4.6). An MX host with our address and a foreign one
///    (the draft's mx1.example.com: our A record, its own AAAA) keeps the foreign one: that is
///    how the tunnel reaches the real server. Only resolved hosts can trigger it: "every address"
///    needs every answer.
///    An unresolved host (an A or AAAA lookup failed for now, issue 13) decides nothing: from its
///    preference on, every address is <see cref="AddressVerdict.Undecided"/>, because the
///    missing answer may make that host ourselves (dropping its preference and all worse ones)
///    or add a better target. Targets of strictly better preferences stay: no answer about a
///    worse host can change them, and they would be tried first anyway. When there are none,
///    the mail waits with 4.4.3 naming each failed lookup; 5.4.6 and 5.4.4 below are reached
///    only on final answers (docs/decisions.md, "Faults at the edges").
/// 3. Prohibited ranges are never connected to; when they are all that is left: 5.4.4.
/// 4. Only families this node reaches are kept, IPv4 through NAT64 when IPv4 is not reachable
///    and a prefix is known; when nothing is reachable the mail waits (4.4.4), since
///    reachability is a property of this node, not of the mail.
/// 5. Within a preference, addresses are ordered by the destination's family policy (the
///    default alternates IPv6 and IPv4 so both are tried within the address limit), and at most
///    the address limit of them is used.
/// </summary>
public static class RoutePlanner
{
    public static DeliveryPlan Plan(Route route, RoutingPolicy policy)
    {
        var addresses = new List<PlannedAddress>();
        var targets = new List<DeliveryTarget>();
        var looped = false;
        var undecided = false;
        var undecidedFrom = route.Hosts.Where(h => !h.Resolved).Select(h => h.Preference).DefaultIfEmpty(int.MaxValue).Min();
        var familyPolicy = policy.FamilyPolicyFor(route.Domain);

        foreach (var group in route.Hosts.GroupBy(h => h.Preference).OrderBy(g => g.Key))
        {
            var hosts = policy.Shuffle is null ? group.ToList() : group.OrderBy(_ => policy.Shuffle.Next()).ToList();
            if (looped || hosts.Any(h => h.Resolved && h.Addresses.Count > 0 && h.Addresses.All(a => IsOurs(policy, a))))
            {
                looped = true;
                addresses.AddRange(hosts.SelectMany(h => h.Addresses.Select(a =>
                    new PlannedAddress(h, a, IsOurs(policy, a) ? AddressVerdict.Ours : AddressVerdict.BehindOurselves, null))));
                continue;
            }
            if (group.Key >= undecidedFrom)
            {
                undecided = true;
                addresses.AddRange(hosts.SelectMany(h => h.Addresses.Select(a => new PlannedAddress(h, a, AddressVerdict.Undecided, null))));
                continue;
            }

            var usable = new List<(MxHost Host, IPAddress Address, IPEndPoint ConnectTo)>();
            foreach (var host in hosts)
                foreach (var address in host.Addresses)
                {
                    var verdict = Judge(policy, familyPolicy, address, out var connectTo);
                    if (verdict == AddressVerdict.Use) usable.Add((host, address, connectTo!));
                    else addresses.Add(new PlannedAddress(host, address, verdict, null));
                }
            foreach (var (host, address, connectTo) in Order(usable, familyPolicy))
            {
                var verdict = targets.Count < policy.AddressLimit ? AddressVerdict.Use : AddressVerdict.OverLimit;
                addresses.Add(new PlannedAddress(host, address, verdict, connectTo));
                if (verdict == AddressVerdict.Use) targets.Add(new DeliveryTarget(host.Name, connectTo));
            }
        }

        if (targets.Count > 0) return new Targets(targets, addresses);
        if (undecided)
            return new NoTargets(false, "4.4.3", Route.Incomplete(route.Domain, route.FailedLookups), addresses);
        if (looped && !addresses.Any(a => a.Verdict is AddressVerdict.Prohibited or AddressVerdict.FamilyUnreachable or AddressVerdict.FamilyPolicy))
            return new NoTargets(true, "5.4.6", $"mail for {route.Domain} loops back to myself", addresses);
        if (addresses.Count == 0)
            return new NoTargets(false, "4.4.4", $"no address found for any MX host of {route.Domain}", addresses);
        if (addresses.Any(a => a.Verdict is AddressVerdict.FamilyUnreachable or AddressVerdict.FamilyPolicy))
            return new NoTargets(false, "4.4.4", $"no MX address of {route.Domain} is reachable from this node: {Describe(addresses, policy, familyPolicy)}", addresses);
        if (addresses.Any(a => a.Verdict == AddressVerdict.Prohibited))
            return new NoTargets(true, "5.4.4", $"the MX hosts of {route.Domain} point only to prohibited addresses (tunnel.outbound.prohibited)", addresses);
        return new NoTargets(true, "5.4.6", $"mail for {route.Domain} loops back to myself", addresses);
    }

    private static bool IsOurs(RoutingPolicy policy, IPAddress address) => policy.Own.IsOurs(new IPEndPoint(address, policy.Port));

    private static AddressVerdict Judge(RoutingPolicy policy, AddressFamilyPolicy familyPolicy, IPAddress address, out IPEndPoint? connectTo)
    {
        connectTo = null;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IsOurs(policy, address)) return AddressVerdict.Ours;
        if (policy.IsProhibited(address)) return AddressVerdict.Prohibited;
        var v4 = address.AddressFamily == AddressFamily.InterNetwork;
        if (familyPolicy == AddressFamilyPolicy.Ipv4Only && !v4) return AddressVerdict.FamilyPolicy;
        if (familyPolicy == AddressFamilyPolicy.Ipv6Only && v4) return AddressVerdict.FamilyPolicy;
        if (v4 && !policy.Reachable.HasFlag(AddressFamilies.IPv4))
        {
            if (policy.Nat64 is null || !policy.Reachable.HasFlag(AddressFamilies.IPv6)) return AddressVerdict.FamilyUnreachable;
            var synthesized = new IPEndPoint(policy.Nat64.Synthesize(address), policy.Port);
            if (policy.Own.IsOurs(synthesized)) return AddressVerdict.Ours;
            connectTo = synthesized;
            return AddressVerdict.Use;
        }
        if (!v4 && !policy.Reachable.HasFlag(AddressFamilies.IPv6)) return AddressVerdict.FamilyUnreachable;
        connectTo = new IPEndPoint(address, policy.Port);
        return AddressVerdict.Use;
    }

    /// <summary>Orders the usable addresses of one preference by the family policy (stable within a family).</summary>
    private static IEnumerable<(MxHost, IPAddress, IPEndPoint)> Order(
        List<(MxHost Host, IPAddress Address, IPEndPoint ConnectTo)> usable, AddressFamilyPolicy familyPolicy)
    {
        var v6 = usable.Where(u => !IsIPv4(u.Address)).ToList();
        var v4 = usable.Where(u => IsIPv4(u.Address)).ToList();
        return familyPolicy switch
        {
            AddressFamilyPolicy.Ipv4ThenIpv6 => v4.Concat(v6),
            AddressFamilyPolicy.Any => Interleave(v6, v4),
            _ => v6.Concat(v4),
        };
    }

    /// <summary>
    /// An IPv4-mapped address (::ffff:192.0.2.1 in an AAAA record) is IPv4 for ordering and the
    /// log, as it is for <see cref="Judge"/>: it is connected to over IPv4 (RFC 4291 §2.5.5.2).
    /// </summary>
    private static bool IsIPv4(IPAddress address) => address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6;

    private static IEnumerable<T> Interleave<T>(IReadOnlyList<T> first, IReadOnlyList<T> second)
    {
        for (var i = 0; i < Math.Max(first.Count, second.Count); i++)
        {
            if (i < first.Count) yield return first[i];
            if (i < second.Count) yield return second[i];
        }
    }

    private static string Describe(IReadOnlyList<PlannedAddress> addresses, RoutingPolicy policy, AddressFamilyPolicy familyPolicy)
    {
        var families = string.Join(", ", addresses.Select(a => IsIPv4(a.Address) ? "IPv4" : "IPv6").Distinct());
        return $"it has {families} addresses; this node reaches {policy.Reachable}"
               + (policy.Nat64 is null ? "" : $" (NAT64 {policy.Nat64})")
               + (familyPolicy == AddressFamilyPolicy.Any ? "" : $" and the family policy is {familyPolicy}");
    }
}
