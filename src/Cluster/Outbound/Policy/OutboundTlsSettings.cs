using System.Security.Cryptography.X509Certificates;

namespace Tunnel.Cluster.Outbound.Policy;

/// <summary>
/// The outbound TLS policy, from <c>tunnel.outbound</c> (cluster.hocon documents each key). Pure:
/// <see cref="For"/> says which level a destination domain gets.
/// </summary>
/// <param name="Default">Level of every domain without its own entry (<c>tls</c>: may or verify).</param>
/// <param name="ByDomain">Per destination domain levels (<c>tls-policy-by-domain</c>), keys lower case without a trailing dot.</param>
/// <param name="MtaSts">Whether domains at level <see cref="TlsLevel.May"/> follow their MTA-STS policy (<c>mta-sts</c>).</param>
/// <param name="TrustedCas">Certificate authorities that verification trusts (<c>tls-ca-file</c>), instead of the system's
/// store, as Postfix's smtp_tls_CAfile does; null: the system's store.</param>
/// <param name="MtaStsPort">TCP port of the MTA-STS policy host (<c>mta-sts-port</c>): 443 as RFC 8461 §3.3 says; tests use another.</param>
/// <param name="MtaStsTimeout">How long one policy fetch may take (<c>mta-sts-timeout</c>).</param>
/// <param name="Dnssec">The configured resolver validates DNSSEC and its AD bit is trusted (<c>tunnel.dns.dnssec</c>): what <see cref="TlsLevel.Dane"/> needs.</param>
public sealed record OutboundTlsSettings(
    TlsLevel Default = TlsLevel.May,
    IReadOnlyDictionary<string, TlsLevel>? ByDomain = null,
    bool MtaSts = true,
    X509Certificate2Collection? TrustedCas = null,
    int MtaStsPort = 443,
    TimeSpan? MtaStsTimeout = null,
    bool Dnssec = false)
{
    public static readonly OutboundTlsSettings Opportunistic = new(MtaSts: false);

    public TimeSpan FetchTimeout => MtaStsTimeout ?? TimeSpan.FromSeconds(30);

    /// <summary>The level of <paramref name="domain"/>: its own entry, else the default.</summary>
    public TlsLevel For(string domain) =>
        ByDomain is not null && ByDomain.TryGetValue(domain.TrimEnd('.').ToLowerInvariant(), out var level) ? level : Default;

    /// <summary>Whether the domain's MTA-STS policy is to be looked up: at level mta-sts always, at may when the switch is on.</summary>
    public bool LooksUpMtaSts(string domain) => For(domain) switch
    {
        TlsLevel.MtaSts => true,
        TlsLevel.May => MtaSts,
        _ => false,
    };
}
