namespace Tunnel.Messages.Mail;

/// <summary>
/// One envelope recipient with its DSN wishes (RFC 3461 §4): <see cref="Notify"/> and the
/// original recipient (ORCPT, kept as "addr-type;xtext-decoded address"), both passed to the next
/// hop when it offers DSN and used in our own DSNs.
/// </summary>
public sealed record Recipient(Mailbox Address, DsnNotify Notify = DsnNotify.Unspecified, string? OriginalRecipient = null)
{
    public override string ToString() => Address.ToString();
}
