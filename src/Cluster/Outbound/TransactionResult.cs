using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Outbound;

/// <summary>What one connection to one target achieved.</summary>
public abstract record TransactionResult;

/// <summary>
/// No transaction took place (connection refused or timed out, greeting or EHLO refused, TLS
/// failed): the next address or MX host is tried.
/// </summary>
/// <param name="Dsn">The enhanced status code when the TLS policy refused the target (4.7.4 no STARTTLS, 4.7.5 handshake or
/// certificate, RFC 3463 §3.8); null for a server that could not be reached or did not answer.</param>
public sealed record TargetUnusable(string Detail, string? Dsn = null) : TransactionResult;

/// <summary>
/// No connection could be had within <c>tunnel.outbound.capacity-wait</c>: this node's own limits
/// (connections to the address, or in all) were reached. The server is fine, so the destination
/// is not marked down; the attempt is deferred with 4.4.5.
/// </summary>
public sealed record TargetBusy(string Detail) : TransactionResult;

/// <summary>The transaction ran: a verdict for every recipient, and whether the server offered DSN.</summary>
/// <param name="Tls">How TLS went on the connection that carried it.</param>
public sealed record TransactionCompleted(IReadOnlyList<RecipientOutcome> Outcomes, bool NextHopOffersDsn, Policy.TlsOutcome? Tls = null) : TransactionResult;

/// <summary>What a server answered a recipient probe (MAIL FROM:&lt;&gt;, RCPT TO: the recipient, RSET): its reply to RCPT.</summary>
public sealed record ProbeAnswered(int Code, string Reply) : TransactionResult;
