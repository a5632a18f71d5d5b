using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tunnel.Cluster.Outbound.Policy;

/// <summary>One TLSA record (RFC 6698 §2.1): certificate usage, selector, matching type, association data.</summary>
public sealed record Tlsa(byte Usage, byte Selector, byte Matching, byte[] Data)
{
    public const byte DaneTa = 2, DaneEe = 3;

    public override string ToString() => $"{Usage} {Selector} {Matching} {Convert.ToHexString(Data).ToLowerInvariant()}";
}

/// <summary>
/// Whether a next hop's certificate chain matches its TLSA records as RFC 7672 (DANE for SMTP)
/// asks. Only DANE-TA(2) and DANE-EE(3) are usable for SMTP (§3.1.3: PKIX-TA(0) and PKIX-EE(1)
/// are unusable), with selector Cert(0) or SPKI(1) and matching Full(0), SHA2-256(1) or
/// SHA2-512(2). DANE-EE: the server's own certificate (or key) matches; its names and dates are
/// not checked (§3.1.1). DANE-TA: a certificate the server presented matches and the server's
/// certificate chains to it, is valid now, and names the MX host (§3.1.2, §3.2.2). Pure: the time
/// is passed in. The records come from <see cref="DestinationTls.ForHostAsync"/>, validated by the
/// resolver (its AD bit); the check runs in the TLS handshake (<see cref="SmtpSender"/>).
/// </summary>
public static class DaneCheck
{
    /// <summary>The records an SMTP client may use (§3.1.3); when none is left, the host is to be treated as having no TLSA records for authentication.</summary>
    public static IReadOnlyList<Tlsa> Usable(IEnumerable<Tlsa> records) =>
        records.Where(r => r.Usage is Tlsa.DaneTa or Tlsa.DaneEe && r.Selector <= 1 && r.Matching <= 2 && r.Data.Length > 0).ToList();

    /// <returns>Null when some usable record matches, else why none does.</returns>
    /// <param name="presented">The other certificates the server sent, in its order (the trust anchor must be among them for DANE-TA, §3.1.2).</param>
    /// <param name="hostName">The MX host name, the reference identifier for DANE-TA (§3.2.2).</param>
    public static string? Problem(IEnumerable<Tlsa> records, X509Certificate2 certificate, IReadOnlyList<X509Certificate2> presented,
        string hostName, DateTimeOffset now)
    {
        var usable = Usable(records);
        if (usable.Count == 0) return "no usable TLSA records (only DANE-TA and DANE-EE count for SMTP)";
        foreach (var record in usable.Where(r => r.Usage == Tlsa.DaneEe))
            if (Matches(record, certificate))
                return null;
        string? taProblem = null;
        foreach (var record in usable.Where(r => r.Usage == Tlsa.DaneTa))
        {
            foreach (var anchor in presented.Append(certificate).Where(c => Matches(record, c)))
            {
                taProblem = ChainProblem(certificate, anchor, presented, hostName, now);
                if (taProblem is null) return null;
            }
        }
        return taProblem ?? $"no TLSA record matches the certificate of {certificate.Subject} ({string.Join("; ", usable)})";
    }

    private static bool Matches(Tlsa record, X509Certificate2 certificate)
    {
        var selected = record.Selector == 0 ? certificate.RawData : certificate.PublicKey.ExportSubjectPublicKeyInfo();
        var digest = record.Matching switch
        {
            1 => SHA256.HashData(selected),
            2 => SHA512.HashData(selected),
            _ => selected,
        };
        return CryptographicOperations.FixedTimeEquals(digest, record.Data);
    }

    /// <summary>DANE-TA: the chain from the server's certificate to the matched anchor, trusted as a root whatever its own dates or issuer, and the MX name.</summary>
    private static string? ChainProblem(X509Certificate2 certificate, X509Certificate2 anchor, IReadOnlyList<X509Certificate2> presented,
        string hostName, DateTimeOffset now)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(anchor);
        foreach (var other in presented) chain.ChainPolicy.ExtraStore.Add(other);
        if (!chain.Build(certificate))
        {
            var status = chain.ChainStatus.Select(s => s.Status).Where(s => s != X509ChainStatusFlags.NoError).Distinct();
            return $"certificate of {certificate.Subject} does not chain to the DANE-TA anchor {anchor.Subject} ({string.Join(", ", status)})";
        }
        return certificate.MatchesHostname(hostName.TrimEnd('.'), allowWildcards: true, allowCommonName: true)
            ? null
            : $"certificate of {certificate.Subject} chains to the DANE-TA anchor but does not name {hostName}";
    }
}
