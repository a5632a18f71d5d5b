using System.Net;
using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Ingress;

/// <summary>
/// Decides at RCPT whether we take mail for a recipient (DESIGN: never an open relay). Today a
/// recipient is accepted only when its domain is one of <c>tunnel.relay.domains</c>, whoever
/// the client is (localhost included). Address literals, percent hacks and bang paths never
/// match a configured domain, so they are refused by the same rule. Pure: no DNS, no I/O.
/// </summary>
public sealed class RelayPolicy(IReadOnlySet<string> relayDomains)
{
    /// <summary>Domains must already be normalised (lower-case A-label, no trailing dot).</summary>
    public bool Accepts(Mailbox recipient, IPAddress client) =>
        relayDomains.Contains(recipient.Domain) && IsPlainLocalPart(recipient.LocalPart);

    // "u%other@ours" and "other!u@ours" ask the receiving host to route further; a relay that
    // honoured them would be open. We pass local parts through untouched, so we refuse them
    // here instead of trusting the next hop to ignore them.
    private static bool IsPlainLocalPart(string localPart) =>
        localPart.StartsWith('"') ? !localPart.Contains('@') && !localPart.Contains('%') && !localPart.Contains('!')
                                  : !localPart.Contains('%') && !localPart.Contains('!');
}
