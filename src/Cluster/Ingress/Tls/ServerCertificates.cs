namespace Tunnel.Cluster.Ingress.Tls;

/// <summary>
/// The certificates one node serves, as one immutable value (a reload builds a new one and swaps
/// it in whole, so a handshake never sees half of a renewal): the default
/// (<c>tunnel.tls.certificate</c>), served without SNI or when no name matches, and those of the
/// hosts the tunnel stands in for (<c>tunnel.tls.certificates</c>), chosen by the client's SNI.
/// </summary>
public sealed record ServerCertificates(ServerCertificate Default, IReadOnlyList<ServerCertificate> ByName)
{
    /// <summary>The metrics label of the default certificate.</summary>
    public const string DefaultLabel = "default";

    /// <summary>The certificate for <paramref name="serverName"/> (the client's SNI, null without) and its metrics label.</summary>
    public (ServerCertificate Certificate, string Label) Select(string? serverName)
    {
        var index = ServerNameMatch.Choose(serverName, ByName, c => c.DnsNames);
        return index < 0 ? (Default, DefaultLabel) : (ByName[index], ByName[index].Name);
    }

    /// <summary>
    /// What a sender expecting <paramref name="host"/> gets: the certificate served with that
    /// SNI, whether its names cover the host, and whether it is the default (all a sender
    /// without SNI ever sees).
    /// </summary>
    public (ServerCertificate Certificate, bool Covers, bool IsDefault) For(string host)
    {
        var (certificate, _) = Select(host);
        var name = ServerNameMatch.Normalise(host) ?? "";
        return (certificate, certificate.DnsNames.Any(n => ServerNameMatch.Matches(n, name)), ReferenceEquals(certificate, Default));
    }

    public IEnumerable<ServerCertificate> All => ByName.Prepend(Default);
}
