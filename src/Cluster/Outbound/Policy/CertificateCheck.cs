using System.Security.Cryptography.X509Certificates;

namespace Tunnel.Cluster.Outbound.Policy;

/// <summary>
/// Whether a next hop's certificate is one that <c>verify</c> and MTA-STS accept: a chain to a
/// trusted authority (<see cref="OutboundTlsSettings.TrustedCas"/>, else the system's store),
/// valid now, whose subjectAltName matches the MX host name (RFC 6125 §6.4: a wildcard stands
/// for the leftmost label only; the CN only when there is no DNS name, as RFC 8461 §4.1 allows).
/// Revocation is not checked: a mail server has no reliable way to reach CRLs or OCSP on every
/// delivery, and Postfix does not either. Pure: the time is passed in.
/// </summary>
public static class CertificateCheck
{
    /// <returns>Null when the certificate is valid for <paramref name="hostName"/>, else why not (for the deferral's reason).</returns>
    /// <param name="presented">The other certificates the server sent (intermediates), used to build the chain.</param>
    public static string? Problem(X509Certificate2 certificate, IEnumerable<X509Certificate2> presented, string hostName,
        X509Certificate2Collection? trusted, DateTimeOffset now)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        foreach (var other in presented) chain.ChainPolicy.ExtraStore.Add(other);
        if (trusted is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        }
        if (!chain.Build(certificate))
        {
            var status = chain.ChainStatus.Select(s => s.Status).Where(s => s != X509ChainStatusFlags.NoError).Distinct().ToList();
            return $"certificate of {certificate.Subject} not trusted ({string.Join(", ", status)})";
        }
        if (!certificate.MatchesHostname(hostName.TrimEnd('.'), allowWildcards: true, allowCommonName: true))
            return $"certificate names {Names(certificate)}, not {hostName}";
        return null;
    }

    /// <summary>The certificates in a chain .NET built during the handshake, but the leaf: what the server presented beyond it.</summary>
    public static IReadOnlyList<X509Certificate2> Presented(X509Chain? chain) =>
        chain is null
            ? []
            : chain.ChainElements.Skip(1).Select(e => e.Certificate).Concat(chain.ChainPolicy.ExtraStore).ToList();

    private static string Names(X509Certificate2 certificate)
    {
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).ToList();
        return names.Count > 0 ? string.Join(", ", names) : certificate.GetNameInfo(X509NameType.SimpleName, false);
    }
}
