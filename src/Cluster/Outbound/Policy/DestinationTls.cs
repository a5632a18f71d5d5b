namespace Tunnel.Cluster.Outbound.Policy;

/// <summary>
/// The TLS requirement of one delivery attempt to a destination domain: its level
/// (<see cref="OutboundTlsSettings.For"/>), and at may (with MTA-STS on) or mta-sts its MTA-STS
/// policy, looked up anew each attempt (the TXT id is how a changed policy is noticed).
/// </summary>
public sealed class DestinationTls(OutboundTlsSettings settings, MtaStsPolicies? mtaSts)
{
    public async Task<TlsRequirement> ForAsync(string domain, CancellationToken cancel)
    {
        var level = settings.For(domain);
        if (mtaSts is null || !settings.LooksUpMtaSts(domain)) return new TlsRequirement(level);
        var policy = await mtaSts.PolicyAsync(domain, cancel);
        return policy is { Mode: not MtaStsMode.None } ? new TlsRequirement(TlsLevel.MtaSts, policy) : TlsRequirement.Opportunistic;
    }
}
