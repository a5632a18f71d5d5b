using System.Net;

namespace Tunnel.Cluster.Routing;

/// <summary>One MX host of a destination with the addresses DNS gave for it.</summary>
public sealed record MxHost(string Name, int Preference, IReadOnlyList<IPAddress> Addresses);

/// <summary>The outcome of looking a destination domain up in DNS.</summary>
public abstract record RouteLookup;

/// <summary>The MX hosts by preference (or the domain itself when it has no MX: RFC 5321 §5.1).</summary>
public sealed record Route(string Domain, IReadOnlyList<MxHost> Hosts, bool ImplicitMx) : RouteLookup;

/// <summary>DNS said no for now (SERVFAIL, timeout) or for good (NXDOMAIN, null MX).</summary>
public sealed record RouteFailure(bool Permanent, string Dsn, string Detail) : RouteLookup;
