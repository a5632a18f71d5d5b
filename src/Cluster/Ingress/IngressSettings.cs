using System.Net;

namespace Tunnel.Cluster.Ingress;

/// <summary>The SMTP front door's identity and limits, from <c>tunnel.hostname</c>, <c>tunnel.smtp</c> and <c>tunnel.relay</c>.</summary>
/// <param name="Hostname">Our name in the greeting, EHLO reply and Received header.</param>
/// <param name="Listen">Endpoints to accept SMTP on; an IPv6 one never takes IPv4 (IPV6_V6ONLY).</param>
/// <param name="RelayDomains">Normalised domains we accept mail for.</param>
/// <param name="MaxMessageSize">Octets of message content; advertised in EHLO SIZE.</param>
/// <param name="MaxRecipients">Recipients per message; more get 452 4.5.3 (RFC 5321 §4.5.3.1.8 asks for at least 100).</param>
/// <param name="MaxCommandLine">Octets of a command line without CRLF (RFC 5321 §4.5.3.1.4: 512 with CRLF).</param>
/// <param name="MaxErrors">Protocol errors tolerated in one session before 421 and disconnect.</param>
/// <param name="CommandTimeout">Idle time allowed while waiting for a command (RFC 5321 §4.5.3.2.7: 5 min).</param>
/// <param name="DataTimeout">Idle time allowed while receiving message content (RFC 5321 §4.5.3.2.6: 3 min per block).</param>
public sealed record IngressSettings(
    string Hostname,
    IReadOnlyList<IPEndPoint> Listen,
    IReadOnlySet<string> RelayDomains,
    long MaxMessageSize,
    int MaxRecipients,
    int MaxCommandLine,
    int MaxErrors,
    TimeSpan CommandTimeout,
    TimeSpan DataTimeout);
