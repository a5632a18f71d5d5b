using System.Net;
using System.Net.Sockets;

namespace Tunnel.Node.Cli;

/// <summary>One resource record an operator publishes, as a zone-file line.</summary>
/// <param name="Published">DNS already answers it.</param>
public sealed record PlannedRecord(string Name, int Ttl, string Type, string Value, bool Published)
{
    public override string ToString() => $"{Name}.\t{Ttl}\tIN\t{Type}\t{Value}" + (Published ? "\t; already published" : "");
}

/// <summary>What one MX host needs: its kind (which families it has of its own), why, and the records.</summary>
/// <param name="Own">The host's addresses that are not the tunnel's.</param>
public sealed record HostPlan(string Host, string Kind, IReadOnlyList<string> Own, string Note, IReadOnlyList<PlannedRecord> Records)
{
    /// <summary>For a host the tunnel carries (records to publish, or already published): the certificate its senders would get.</summary>
    public Tunnel.Cluster.Ingress.Tls.HostCertificate? Tls { get; init; }

    /// <summary>The tunnel stands in for this host: it gets our addresses (published or to publish).</summary>
    public bool Tunneled => Records.Count > 0;
}

/// <summary>
/// The records the draft asks an operator to publish (draft-mrosenau-email-ipv4-to-6 §2.1): an
/// IPv6-only MX host gets A records pointing at every tunnel address of IPv4, so IPv4-only
/// senders reach it through the tunnel (§2.2); an IPv4-only host used through the relay role
/// gets AAAA records of the tunnel's IPv6 addresses, so IPv6-only senders reach it (§2.3's
/// mirror). A host with both families needs nothing; one with none of its own (only the tunnel's
/// addresses) would loop, and is reported. Pure: DNS answers and the tunnel's addresses come in.
/// </summary>
public static class DnsPlan
{
    public static HostPlan For(string host, IReadOnlyList<IPAddress> addresses, IReadOnlyList<IPAddress> tunnel, int ttl)
    {
        var own = addresses.Where(a => !tunnel.Contains(a)).ToList();
        var v4 = own.Any(a => a.AddressFamily == AddressFamily.InterNetwork);
        var v6 = own.Any(a => a.AddressFamily == AddressFamily.InterNetworkV6);
        var ownText = own.Select(a => a.ToString()).ToList();
        if (v4 && v6) return new HostPlan(host, "dual-stack", ownText, "reachable over both families: nothing to publish", []);
        if (!v4 && !v6)
            return new HostPlan(host, "no address", ownText,
                "has no address of its own (only the tunnel's, or none): mail for it would loop or bounce; publish its real address first", []);
        var (type, family, why) = v6
            ? ("A", AddressFamily.InterNetwork, "IPv6-only: IPv4 senders reach it through the tunnel (§2.2)")
            : ("AAAA", AddressFamily.InterNetworkV6, "IPv4-only: IPv6 senders reach it through the tunnel (relay role, §2.3)");
        var records = tunnel.Where(a => a.AddressFamily == family)
            .Select(a => new PlannedRecord(host, ttl, type, a.ToString(), addresses.Contains(a))).ToList();
        if (records.Count == 0)
            why += $"; but tunnel.public-addresses has no {(type == "A" ? "IPv4" : "IPv6")} address to publish";
        return new HostPlan(host, v6 ? "IPv6-only" : "IPv4-only", ownText, why, records);
    }
}
