using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Bounces;

/// <summary>What a delivery status notification says about one recipient (RFC 3464 §2.3).</summary>
/// <param name="Action">"failed", "delayed" or "relayed" (§2.3.3).</param>
/// <param name="Status">Enhanced status code (RFC 3463), e.g. "5.1.1".</param>
/// <param name="OriginalRecipient">The ORCPT the client gave ("rfc822;user@example.com"), if any.</param>
/// <param name="RemoteMta">Host name of the server that gave <paramref name="Diagnostic"/>, if one did.</param>
/// <param name="Diagnostic">The server's reply ("550 5.1.1 no such user") or our own explanation.</param>
public sealed record BounceRecipient(
    Mailbox Recipient,
    string Action,
    string Status,
    string? OriginalRecipient,
    string? RemoteMta,
    string? Diagnostic,
    DateTimeOffset? LastAttempt);

/// <summary>A DSN to build: about which message, for whom, and how much of the original to return.</summary>
public sealed record BounceReport(
    string ReportingMta,
    MessageId Id,
    Mailbox Sender,
    string? EnvelopeId,
    DateTimeOffset ArrivalDate,
    IReadOnlyList<BounceRecipient> Recipients,
    DsnReturn Return);
