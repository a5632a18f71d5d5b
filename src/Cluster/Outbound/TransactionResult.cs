using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Outbound;

/// <summary>What one connection to one target achieved.</summary>
public abstract record TransactionResult;

/// <summary>
/// No transaction took place (connection refused or timed out, greeting or EHLO refused, TLS
/// failed): the next address or MX host is tried.
/// </summary>
public sealed record TargetUnusable(string Detail) : TransactionResult;

/// <summary>The transaction ran: a verdict for every recipient, and whether the server offered DSN.</summary>
public sealed record TransactionCompleted(IReadOnlyList<RecipientOutcome> Outcomes, bool NextHopOffersDsn) : TransactionResult;
