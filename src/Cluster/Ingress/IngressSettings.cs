using System.Net;
using Tunnel.Cluster.Ingress.Tls;

namespace Tunnel.Cluster.Ingress;

/// <summary>The SMTP front door's identity, limits and relay rules, from <c>tunnel.hostname</c>, <c>tunnel.smtp</c>, <c>tunnel.relay</c>, <c>tunnel.tls</c> and <c>tunnel.public-addresses</c>.</summary>
/// <param name="Hostname">Our name in the greeting, EHLO reply and Received header.</param>
/// <param name="Listen">Endpoints to accept SMTP on; an IPv6 one never takes IPv4 (IPV6_V6ONLY).</param>
/// <param name="Limits">Sizes, counts and timeouts of one session.</param>
/// <param name="Relay">Whom and what we relay for.</param>
/// <param name="Certificates">Server certificates for STARTTLS (RFC 3207), as loaded at start: the default
/// (<c>tunnel.tls.certificate</c>) and those chosen by SNI (<c>tunnel.tls.certificates</c>); null: STARTTLS is not offered.</param>
/// <param name="MaxPendingMessages">Transactions (MAIL to the reply after the data) the node holds at once; beyond it new MAIL
/// gets 451 4.3.1 and new connections 421 4.3.2, so memory stays bounded (<c>tunnel.smtp.max-pending-messages</c>).</param>
/// <param name="DrainTimeout">On shutdown, how long sessions may take to finish their transaction (<c>tunnel.smtp.drain-timeout</c>).</param>
/// <param name="MaxPendingMessagesPerClient">Of those, the transactions one client (IPv4 address, IPv6 /64) may hold; its next MAIL
/// gets 451 4.3.1 (<c>tunnel.smtp.max-pending-messages-per-client</c>).</param>
/// <param name="MaxContentInFlight">Bytes of message content the node's sessions hold in memory at once (<see cref="ContentBudget"/>,
/// <c>tunnel.smtp.max-content-in-flight</c>).</param>
public sealed record IngressSettings(
    string Hostname,
    IReadOnlyList<IPEndPoint> Listen,
    SessionLimits Limits,
    RelaySettings Relay,
    ServerCertificates? Certificates = null,
    int MaxPendingMessages = 500,
    TimeSpan? DrainTimeout = null,
    int MaxPendingMessagesPerClient = 10,
    long MaxContentInFlight = 1L << 30)
{
    public TimeSpan Drain => DrainTimeout ?? TimeSpan.FromSeconds(30);

    /// <summary>How long a client that waited for the greeting is greeted at once; zero: never (<c>tunnel.smtp.greeting-pass-ttl</c>, <see cref="GreetingPasses"/>).</summary>
    public TimeSpan GreetingPassTtl { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Client addresses remembered as having passed, at most (<c>tunnel.smtp.greeting-pass-max</c>).</summary>
    public int GreetingPassMax { get; init; } = 100_000;

    /// <summary>How often the certificate files are read again to pick up a renewal (<c>tunnel.tls.reload-interval</c>).</summary>
    public TimeSpan CertificateReloadInterval { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>Per-session and per-node limits; every one has its key in <c>tunnel.smtp</c>.</summary>
/// <param name="MaxMessageSize">Octets of message content; advertised in EHLO SIZE.</param>
/// <param name="MaxRecipients">Recipients per message; more get 452 4.5.3 (RFC 5321 §4.5.3.1.8 asks for at least 100).</param>
/// <param name="MaxCommandLine">Octets of a command line without CRLF (RFC 5321 §4.5.3.1.4: 512 with CRLF), before the allowances of our extensions.</param>
/// <param name="MaxErrors">Protocol errors tolerated in one session before 421 and disconnect.</param>
/// <param name="CommandTimeout">Idle time allowed while waiting for a command (RFC 5321 §4.5.3.2.7: 5 min).</param>
/// <param name="DataTimeout">Idle time allowed while receiving message content (RFC 5321 §4.5.3.2.6: 3 min per block).</param>
/// <param name="FinalTimeout">Longest time from the end of the data to our reply (RFC 5321 §4.5.3.2.6: the client waits 10 min).</param>
/// <param name="GreetingDelay">How long we wait before the greeting; a client that talks first is refused. Zero: greet at once.</param>
/// <param name="MaxConnections">SMTP connections this node serves at once.</param>
/// <param name="MaxConnectionsPerClient">Connections one client address (IPv6: its /64) may hold at once.</param>
/// <param name="MaxReceivedHeaders">Received: headers a message may already carry; more is a mail loop (554 5.4.6).</param>
public sealed record SessionLimits(
    long MaxMessageSize,
    int MaxRecipients,
    int MaxCommandLine,
    int MaxErrors,
    TimeSpan CommandTimeout,
    TimeSpan DataTimeout,
    TimeSpan FinalTimeout,
    TimeSpan GreetingDelay,
    int MaxConnections,
    int MaxConnectionsPerClient,
    int MaxReceivedHeaders)
{
    /// <summary>The values cluster.hocon ships with (RFC 5321's minimums where it has them).</summary>
    public static readonly SessionLimits Defaults = new(
        MaxMessageSize: 36_700_160, MaxRecipients: 100, MaxCommandLine: 510, MaxErrors: 10,
        CommandTimeout: TimeSpan.FromMinutes(5), DataTimeout: TimeSpan.FromMinutes(3), FinalTimeout: TimeSpan.FromMinutes(10),
        GreetingDelay: TimeSpan.FromSeconds(2), MaxConnections: 1000, MaxConnectionsPerClient: 20, MaxReceivedHeaders: 50);
}

/// <summary>The relay rules of <c>tunnel.relay</c> and <c>tunnel.public-addresses</c> (see <see cref="RelayPolicy"/>).</summary>
/// <param name="Domains">Normalised domains we always accept mail for.</param>
/// <param name="VerifyMx">Also accept a domain whose MX host publishes one of <paramref name="PublicAddresses"/> (DNS-verified tunnel domain).</param>
/// <param name="PublicAddresses">Our addresses as published in the A/AAAA records of tunneled MX hosts.</param>
/// <param name="Clients">Networks allowed to relay through us to any domain (the draft's §2.3).</param>
public sealed record RelaySettings(
    IReadOnlySet<string> Domains,
    bool VerifyMx = false,
    IReadOnlyList<IPAddress>? PublicAddresses = null,
    IReadOnlyList<IPNetwork>? Clients = null)
{
    /// <summary>Recipient verification against backscatter (<c>tunnel.relay.verify-recipients</c>).</summary>
    public RecipientVerification Verification { get; init; } = RecipientVerification.Off;

    public IReadOnlyList<IPAddress> PublicAddresses { get; init; } = PublicAddresses ?? [];
    public IReadOnlyList<IPNetwork> Clients { get; init; } = Clients ?? [];
}
