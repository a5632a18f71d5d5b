namespace Tunnel.Cluster.Outbound.Policy;

/// <summary>
/// How much TLS a destination gets (<c>tunnel.outbound.tls</c>, <c>tunnel.outbound.tls-policy-by-domain</c>),
/// in Postfix's words (smtp_tls_security_level, smtp_tls_policy_maps).
/// </summary>
public enum TlsLevel
{
    /// <summary>Opportunistic (RFC 3207 as MTAs use it): STARTTLS when offered, any certificate; a failed handshake retries the same host in plaintext.</summary>
    May,
    /// <summary>TLS required, any certificate; no STARTTLS or a failed handshake defers.</summary>
    Encrypt,
    /// <summary>TLS required, and a certificate chain valid under the trust setting whose name matches the MX host name; otherwise deferred.</summary>
    Verify,
    /// <summary>RFC 7672: the MX host's TLSA records decide. Not implemented yet: a configuration error.</summary>
    Dane,
    /// <summary>RFC 8461: the domain's MTA-STS policy decides (even with <c>tunnel.outbound.mta-sts = off</c>); without one, <see cref="May"/>.</summary>
    MtaSts,
}

public static class TlsLevels
{
    public static readonly IReadOnlyDictionary<string, TlsLevel> ByName = new Dictionary<string, TlsLevel>
    {
        ["may"] = TlsLevel.May,
        ["encrypt"] = TlsLevel.Encrypt,
        ["verify"] = TlsLevel.Verify,
        ["dane"] = TlsLevel.Dane,
        ["mta-sts"] = TlsLevel.MtaSts,
    };

    public static string Name(TlsLevel level) => ByName.First(p => p.Value == level).Key;
}
