using Tunnel.Messages.Mail;

namespace Tunnel.Messages.Queue;

public enum RecipientStatus
{
    /// <summary>Not attempted yet.</summary>
    Pending = 0,
    /// <summary>The next hop answered 250 to the data for this recipient: final.</summary>
    Delivered = 1,
    /// <summary>A temporary failure: tried again later.</summary>
    Deferred = 2,
    /// <summary>A permanent failure: final.</summary>
    Failed = 3,
}

/// <summary>What one attempt meant for one recipient.</summary>
/// <param name="Status">Delivered, Deferred or Failed.</param>
/// <param name="Dsn">The enhanced status code (RFC 3463), e.g. "2.0.0", "4.4.1", "5.1.1".</param>
/// <param name="Detail">The remote reply or our own explanation, for the log and the bounce.</param>
/// <param name="Relay">"host[address]:port" that gave the answer, when one did.</param>
/// <param name="RelayedWithoutDsn">Delivered to a next hop that does not offer DSN (RFC 3461 §5.2.2): if the
/// sender asked for success notices, we owe a "relayed" one.</param>
/// <param name="Tls">How TLS went on the connection that gave the answer; null when none did (or from before issue 14).</param>
public sealed record RecipientOutcome(
    Mailbox Recipient,
    RecipientStatus Status,
    string Dsn,
    string Detail,
    string? Relay,
    bool RelayedWithoutDsn = false,
    TlsSummary? Tls = null)
{
    public bool IsFinal => Status is RecipientStatus.Delivered or RecipientStatus.Failed;
}
