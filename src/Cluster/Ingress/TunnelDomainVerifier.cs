using System.Net;
using Tunnel.Cluster.Routing;

namespace Tunnel.Cluster.Ingress;

/// <summary>
/// Asks DNS whether a domain is tunneled through us (<see cref="TunnelDomainRule"/>) for the
/// sessions of one node. Answers are cached for their DNS TTL by the resolver's own cache
/// (DnsClient honours each record's TTL), so a busy domain costs one lookup per TTL. Owns the
/// DNS question and its time bound; the decision is the rule's.
/// </summary>
public sealed class TunnelDomainVerifier(RouteResolver resolver, IReadOnlySet<IPAddress> publicAddresses, RoutingPolicy policy, TimeSpan timeout)
{
    public async Task<TunnelDomainVerdict> VerifyAsync(string domain)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            var lookup = await resolver.ResolveAsync(domain, deadline.Token);
            return TunnelDomainRule.Judge(lookup, publicAddresses, policy);
        }
        catch (Exception e) when (e is OperationCanceledException or DnsClient.DnsResponseException or System.Net.Sockets.SocketException)
        {
            return TunnelDomainVerdict.Unknown; // 451 4.4.3: a broken resolver must never refuse mail for good
        }
    }
}
