using System.Net;
using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Ingress;

/// <summary>What RCPT does with a recipient, before any DNS question is asked.</summary>
public enum RelayDecision
{
    Accept,
    /// <summary>550 5.7.1 Relaying denied.</summary>
    Deny,
    /// <summary>Accept only if DNS shows the domain is tunneled through us (<see cref="TunnelDomainRule"/>).</summary>
    VerifyDomain,
}

/// <summary>
/// Decides at RCPT whether we take mail for a recipient (DESIGN: never an open relay). Accepted:
/// 1. a domain in <c>tunnel.relay.domains</c>; 2. with <c>tunnel.relay.verify-mx</c>, a domain
/// DNS shows to be tunneled through us (the session asks <see cref="TunnelDomainVerifier"/>);
/// 3. any domain when the client's address is in <c>tunnel.relay.clients</c> (draft §2.3, the
/// relay role). Everything else is refused, whoever the client is (localhost included).
/// Pure: no DNS, no I/O. The address is already parsed strictly (<c>AddressParser</c>): source
/// route dropped (RFC 5321 §4.1.1.3), domain lower-case A-label without a trailing dot.
/// </summary>
public sealed class RelayPolicy(RelaySettings settings)
{
    public RelayDecision Decide(Mailbox recipient, IPAddress client)
    {
        // An address literal names a host, not a domain we could have been told about, and our
        // router cannot deliver to one: never relayed, not even for an authorised client.
        if (recipient.Domain.StartsWith('[')) return RelayDecision.Deny;
        if (IsAuthorisedClient(client)) return RelayDecision.Accept;
        // "u%other@ours" and "other!u@ours" ask the receiving host to route further; a relay that
        // honoured them would be open. We pass local parts through untouched, so we refuse them
        // here instead of trusting the next hop to ignore them. (An authorised client may relay
        // anywhere anyway, so for it they grant nothing.)
        if (!IsPlainLocalPart(recipient.LocalPart)) return RelayDecision.Deny;
        if (settings.Domains.Contains(recipient.Domain)) return RelayDecision.Accept;
        return settings.VerifyMx ? RelayDecision.VerifyDomain : RelayDecision.Deny;
    }

    public bool IsAuthorisedClient(IPAddress client)
    {
        if (client.IsIPv4MappedToIPv6) client = client.MapToIPv4();
        foreach (var network in settings.Clients)
            if (network.Contains(client)) return true;
        return false;
    }

    private static bool IsPlainLocalPart(string localPart) =>
        !localPart.Contains('%') && !localPart.Contains('!') && !(localPart.StartsWith('"') && localPart.Contains('@'));
}
