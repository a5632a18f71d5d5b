using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Outbound.Policy;

/// <summary>
/// What one delivery asks of the TLS of its connections: the domain's level, and the MTA-STS
/// policy when one applies. Pure: says whether a connection's TLS will do, and what the log
/// calls it.
/// </summary>
/// <param name="Level">May, Encrypt, Verify, MtaSts (with <paramref name="Sts"/>; without one the domain has no policy: as May), or
/// Dane (with <paramref name="Tlsa"/> for one MX host; without usable records: as May).</param>
/// <param name="Tlsa">The MX host's validated, usable TLSA records (RFC 7672): the certificate must match them.</param>
/// <param name="DaneMx">For Dane: the MX answer was not shown insecure, so its hosts' TLSA records count (RFC 7672 §2.2.1).</param>
public sealed record TlsRequirement(TlsLevel Level, MtaStsPolicy? Sts = null, IReadOnlyList<Tlsa>? Tlsa = null, bool DaneMx = false)
{
    /// <summary>TLSA records authenticate this host's certificate (RFC 7672 §3).</summary>
    public bool Dane => Tlsa is { Count: > 0 };

    public static readonly TlsRequirement Opportunistic = new(TlsLevel.May);

    /// <summary>An MTA-STS policy in enforce mode decides this delivery (RFC 8461 §5).</summary>
    public bool Enforced => Level == TlsLevel.MtaSts && Sts?.Mode == MtaStsMode.Enforce;

    /// <summary>An MTA-STS policy in testing mode: delivered as may, and what enforce would have refused is reported (RFC 8461 §5).</summary>
    public bool Testing => Level == TlsLevel.MtaSts && Sts?.Mode == MtaStsMode.Testing;

    /// <summary>No STARTTLS, or a failed handshake, defers (4.7.4, 4.7.5) instead of going on in plaintext.</summary>
    public bool RequiresTls => Level is TlsLevel.Encrypt or TlsLevel.Verify || Enforced || Dane;

    /// <summary>The certificate must be valid for the MX host name (<see cref="CertificateCheck"/>), else deferred (4.7.5).</summary>
    public bool RequiresVerification => Level == TlsLevel.Verify || Enforced || Dane;

    /// <summary>
    /// Nothing in this delivery depends on the MX host's name (no certificate is checked against
    /// it, no MTA-STS report is kept), so a connection opened to another host name at the same
    /// address may carry it, as Postfix's connection cache looks sessions up by address too.
    /// </summary>
    public bool NamesNoHost => !RequiresVerification && !Testing;

    /// <summary>
    /// Why <paramref name="host"/> may not be used, before connecting: an MX host the MTA-STS
    /// policy does not list (RFC 8461 §4.1); null when it may.
    /// </summary>
    public string? HostProblem(string host) =>
        (Enforced || Testing) && !Sts!.Matches(host) ? $"{host} is not an MX host of {Sts.Describe()} (RFC 8461 §4.1)" : null;

    /// <summary>Whether a connection whose TLS went <paramref name="outcome"/> may carry this delivery (a cached one, say).</summary>
    /// <remarks>A connection's certificate was checked one way (PKIX or DANE); only that check counts.</remarks>
    public bool SatisfiedBy(TlsOutcome outcome) =>
        Dane ? outcome is { Encrypted: true, CertificateProblem: null, Dane: true }
        : RequiresVerification ? outcome is { Encrypted: true, CertificateProblem: null, Dane: false }
        : !RequiresTls || outcome.Encrypted;

    /// <summary>What the mail log's <c>tls=</c> says for a transaction over a connection whose TLS went <paramref name="outcome"/>.</summary>
    public TlsSummary Summary(TlsOutcome outcome) => new(
        !outcome.Encrypted ? TlsSummary.None
        : outcome.CertificateProblem is not null ? TlsSummary.May
        : outcome.Dane ? TlsSummary.Dane
        : Enforced ? TlsSummary.MtaSts
        : TlsSummary.Verified,
        outcome.Protocol, outcome.Cipher);

    /// <summary>
    /// What an MTA-STS policy in testing mode would have refused on this connection (RFC 8461
    /// §5: "report, but deliver"); null when enforce would have delivered too, or no testing applies.
    /// </summary>
    public string? TestingFailure(string host, TlsOutcome outcome) =>
        !Testing ? null
        : HostProblem(host) ?? (!outcome.Encrypted ? $"{host} did not use TLS" : outcome.CertificateProblem is { } problem ? $"{host}: {problem}" : null);
}

/// <summary>How TLS went on one connection.</summary>
/// <param name="CertificateProblem">Why the certificate is not valid for the MX host name (<see cref="CertificateCheck"/>); null when it is, or without TLS.</param>
/// <param name="Dane">The certificate was checked against TLSA records rather than the trusted CAs.</param>
public sealed record TlsOutcome(bool Encrypted, string? CertificateProblem = null, string? Protocol = null, string? Cipher = null, bool Dane = false)
{
    public static readonly TlsOutcome Plaintext = new(false);

    /// <summary>
    /// This outcome as seen by a delivery to <paramref name="host"/> over a connection opened to
    /// <paramref name="openedFor"/> (the same address): a certificate verified for the other name
    /// is not verified for this one, so the log says <c>may</c>, never <c>verified</c>.
    /// </summary>
    public TlsOutcome For(string host, string openedFor) =>
        !Encrypted || CertificateProblem is not null || string.Equals(host, openedFor, StringComparison.OrdinalIgnoreCase) ? this
        : this with { CertificateProblem = $"checked for {openedFor}, a connection shared with {host} at the same address" };
}
