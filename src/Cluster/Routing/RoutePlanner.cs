using System.Net;

namespace Tunnel.Cluster.Routing;

/// <summary>Where to connect, in order: an MX host's name (for TLS and the log) and one of its addresses.</summary>
public sealed record DeliveryTarget(string Host, IPEndPoint EndPoint)
{
    public override string ToString() => $"{Host}[{EndPoint.Address}]:{EndPoint.Port}";
}

/// <summary>The addresses to try, best first, or why there are none.</summary>
public abstract record DeliveryPlan;
public sealed record Targets(IReadOnlyList<DeliveryTarget> List) : DeliveryPlan;
public sealed record NoTargets(bool Permanent, string Dsn, string Detail) : DeliveryPlan;

/// <summary>
/// Turns a <see cref="Route"/> into connection targets, dropping ourselves. The loop rule is
/// Postfix's: walking MX hosts from the best preference, an MX host whose every address is ours
/// is this tunnel, so it and every MX of equal or worse preference are dropped (mail there would
/// come back to us); when nothing is left the mail loops (5.4.6). An MX host with our address
/// and a foreign one (the draft's mx1.example.com: our A record, its own AAAA) keeps the foreign
/// one: that is how the tunnel reaches the real server. Pure.
/// </summary>
public static class RoutePlanner
{
    public static DeliveryPlan Plan(Route route, OwnAddresses own, int port)
    {
        var targets = new List<DeliveryTarget>();
        var loopedAt = (int?)null;
        foreach (var group in route.Hosts.GroupBy(h => h.Preference).OrderBy(g => g.Key))
        {
            if (group.Any(h => h.Addresses.Count > 0 && h.Addresses.All(a => own.IsOurs(new IPEndPoint(a, port)))))
            {
                loopedAt = group.Key;
                break;
            }
            foreach (var host in group)
                foreach (var address in PreferredOrder(host.Addresses))
                {
                    var endpoint = new IPEndPoint(address, port);
                    if (!own.IsOurs(endpoint)) targets.Add(new DeliveryTarget(host.Name, endpoint));
                }
        }
        if (targets.Count > 0) return new Targets(targets);
        if (loopedAt is not null)
            return new NoTargets(true, "5.4.6", $"mail for {route.Domain} loops back to myself");
        return new NoTargets(false, "4.4.4", $"no address found for any MX host of {route.Domain}");
    }

    // IPv6 first within a host: the tunnel's reason to exist is reaching IPv6-only servers.
    // (The Delivery issue replaces this with the configurable address-family policy.)
    private static IEnumerable<IPAddress> PreferredOrder(IReadOnlyList<IPAddress> addresses) =>
        addresses.OrderBy(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 0 : 1);
}
