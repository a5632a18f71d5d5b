using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Outbound;

/// <summary>What one connection to one target achieved.</summary>
public abstract record TransactionResult;

/// <summary>
/// No transaction took place (connection refused or timed out, greeting or EHLO refused, TLS
/// failed): the next address or MX host is tried.
/// </summary>
public sealed record TargetUnusable(string Detail) : TransactionResult;

/// <summary>
/// No connection could be had within <c>tunnel.outbound.capacity-wait</c>: this node's own limits
/// (connections to the address, or in all) were reached. The server is fine, so the destination
/// is not marked down; the attempt is deferred with 4.4.5.
/// </summary>
public sealed record TargetBusy(string Detail) : TransactionResult;

/// <summary>The transaction ran: a verdict for every recipient, and whether the server offered DSN.</summary>
public sealed record TransactionCompleted(IReadOnlyList<RecipientOutcome> Outcomes, bool NextHopOffersDsn) : TransactionResult;

/// <summary>What a server answered a recipient probe (MAIL FROM:&lt;&gt;, RCPT TO: the recipient, RSET): its reply to RCPT.</summary>
public sealed record ProbeAnswered(int Code, string Reply) : TransactionResult;
