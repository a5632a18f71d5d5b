namespace Tunnel.Messages.Mail;

/// <summary>
/// An envelope address (RFC 5321 §4.1.2 Mailbox): a local part exactly as the client sent it
/// (quoted form kept, case kept: only the receiving host may interpret it) and a domain already
/// normalised by ingress (lower-case A-label, no trailing dot).
/// </summary>
public sealed record Mailbox(string LocalPart, string Domain)
{
    public override string ToString() => $"{LocalPart}@{Domain}";

    /// <summary>Splits at the last '@': a domain can never contain one, a quoted local part can.</summary>
    public static Mailbox Parse(string address)
    {
        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1)
            throw new FormatException($"not a mailbox: '{address}'");
        return new Mailbox(address[..at], address[(at + 1)..]);
    }
}
