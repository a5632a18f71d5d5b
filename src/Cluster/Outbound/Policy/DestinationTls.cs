namespace Tunnel.Cluster.Outbound.Policy;

/// <summary>
/// The TLS requirement of one delivery attempt to a destination domain: its level
/// (<see cref="OutboundTlsSettings.For"/>), and at may (with MTA-STS on) or mta-sts its MTA-STS
/// policy, looked up anew each attempt (the TXT id is how a changed policy is noticed).
/// </summary>
/// At dane, whether the MX answer was validated (RFC 7672 §2.2.1), and per MX host its TLSA records (<see cref="ForHostAsync"/>).
public sealed class DestinationTls(OutboundTlsSettings settings, MtaStsPolicies? mtaSts, Routing.RouteResolver? resolver = null)
{
    public async Task<TlsRequirement> ForAsync(string domain, CancellationToken cancel)
    {
        var level = settings.For(domain);
        if (level == TlsLevel.Dane)
            // An MX answer shown insecure names hosts an attacker may have chosen: their TLSA records prove nothing (as may).
            return new TlsRequirement(TlsLevel.Dane, DaneMx: resolver is not null && await resolver.MxSecureAsync(domain, cancel) != false);
        if (mtaSts is null || !settings.LooksUpMtaSts(domain)) return new TlsRequirement(level);
        var policy = await mtaSts.PolicyAsync(domain, cancel);
        return policy is { Mode: not MtaStsMode.None } ? new TlsRequirement(TlsLevel.MtaSts, policy) : TlsRequirement.Opportunistic;
    }

    /// <summary>
    /// The requirement for one MX host at dane (RFC 7672 §2.2): validated usable TLSA records make
    /// TLS and a matching certificate mandatory; validated records that are all unusable make TLS
    /// mandatory without authentication (§2.2); none, or an answer not validated, leave may; a
    /// lookup that failed refuses the host (never plaintext where TLSA records may exist).
    /// </summary>
    /// <returns>The host's requirement, or why it must not be used (4.7.5).</returns>
    public async Task<(TlsRequirement? Requirement, string? Refused)> ForHostAsync(TlsRequirement domain, string host, int port, CancellationToken cancel)
    {
        if (domain.Level != TlsLevel.Dane || !domain.DaneMx || resolver is null) return (domain, null);
        var answer = await resolver.TlsaAsync(host, port, cancel);
        if (answer.Status == Routing.TlsaStatus.Failed) return (null, answer.Problem);
        if (answer.Status != Routing.TlsaStatus.Secure || answer.Records.Count == 0) return (domain, null);
        var usable = DaneCheck.Usable(answer.Records);
        return (usable.Count > 0 ? domain with { Tlsa = usable } : domain with { Level = TlsLevel.Encrypt }, null);
    }
}
