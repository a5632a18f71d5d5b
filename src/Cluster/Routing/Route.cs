using System.Net;

namespace Tunnel.Cluster.Routing;

/// <summary>An A or AAAA question about an MX host that got no final answer (timeout, SERVFAIL, …).</summary>
public sealed record FailedLookup(string Type, string Host, string Reason)
{
    public override string ToString() => $"{Type} {Host}: {Reason}";
}

/// <summary>One MX host of a destination with the addresses DNS gave for it.</summary>
/// <param name="FailedLookups">
/// Its A/AAAA questions that got no final answer. When there is one, <see cref="Addresses"/> may
/// lack some of the host's addresses, so nothing that depends on all of them (is it ourselves?)
/// can be decided: the host is not <see cref="Resolved"/>.
/// </param>
public sealed record MxHost(string Name, int Preference, IReadOnlyList<IPAddress> Addresses, IReadOnlyList<FailedLookup>? FailedLookups = null)
{
    public bool Resolved => FailedLookups is not { Count: > 0 };
}

/// <summary>The outcome of looking a destination domain up in DNS.</summary>
public abstract record RouteLookup;

/// <summary>
/// The MX hosts by preference (or the domain itself when it has no MX: RFC 5321 §5.1). Some
/// hosts may be unresolved (<see cref="MxHost.Resolved"/>); <see cref="RoutePlanner"/> decides
/// only on what the others answered.
/// </summary>
public sealed record Route(string Domain, IReadOnlyList<MxHost> Hosts, bool ImplicitMx) : RouteLookup
{
    /// <summary>Every address question of every host was answered for good.</summary>
    public bool Complete => Hosts.All(h => h.Resolved);

    public IEnumerable<FailedLookup> FailedLookups => Hosts.SelectMany(h => h.FailedLookups ?? []);

    /// <summary>The 4.4.3 detail for a route that cannot be decided until DNS answers: it names each failed question.</summary>
    public static string Incomplete(string domain, IEnumerable<FailedLookup> failed) =>
        $"address lookup for {domain} failed: {string.Join("; ", failed)}";
}

/// <summary>DNS said no for now (SERVFAIL, timeout) or for good (NXDOMAIN, null MX).</summary>
public sealed record RouteFailure(bool Permanent, string Dsn, string Detail) : RouteLookup;
