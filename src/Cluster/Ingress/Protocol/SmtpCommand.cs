using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>One parsed command line. Syntax errors are values too (<see cref="InvalidCommand"/>).</summary>
public abstract record SmtpCommand;

/// <summary>EHLO or HELO with the client's claimed name (RFC 5321 §4.1.1.1).</summary>
public sealed record HelloCommand(bool Extended, string ClientName) : SmtpCommand;

/// <summary>
/// MAIL FROM (RFC 5321 §4.1.1.2); <see cref="Sender"/> is null for the null reverse-path &lt;&gt;.
/// The parameters belong to extensions (SIZE, BODY, SMTPUTF8, RET, ENVID); whether they may be
/// used in this session is the dialog's call (<see cref="UsesExtensions"/>).
/// </summary>
public sealed record MailCommand(
    Mailbox? Sender,
    long? DeclaredSize = null,
    BodyType Body = BodyType.Unspecified,
    bool SmtpUtf8 = false,
    DsnReturn Return = DsnReturn.Unspecified,
    string? EnvelopeId = null) : SmtpCommand
{
    public bool UsesExtensions => DeclaredSize is not null || Body != BodyType.Unspecified || SmtpUtf8
                                  || Return != DsnReturn.Unspecified || EnvelopeId is not null;
}

/// <summary>RCPT TO (RFC 5321 §4.1.1.3), source route already dropped, with the DSN parameters (RFC 3461 §4.1, §4.2).</summary>
/// <param name="OriginalRecipient">ORCPT as "addr-type;address", the address xtext-decoded.</param>
/// <param name="RawUtf8">The ORCPT value was sent as raw UTF-8 (utf-8-addr-unitext), which only an SMTPUTF8 transaction may carry (RFC 6533 §3).</param>
public sealed record RcptCommand(Mailbox Recipient, DsnNotify Notify = DsnNotify.Unspecified, string? OriginalRecipient = null,
    bool RawUtf8 = false) : SmtpCommand
{
    public bool UsesExtensions => Notify != DsnNotify.Unspecified || OriginalRecipient is not null;
}

/// <summary>BDAT (RFC 3030 §2): a chunk of exactly <see cref="Size"/> octets follows the command line.</summary>
public sealed record BdatCommand(long Size, bool Last) : SmtpCommand;

/// <summary>A verb without arguments we need to look at: DATA, RSET, NOOP, QUIT, VRFY, HELP, STARTTLS, and the ones we answer 500/502.</summary>
public sealed record SimpleCommand(SmtpVerb Verb) : SmtpCommand;

/// <summary>
/// A line we could not accept, with the reply that says why. <see cref="Fatal"/>: the input can
/// no longer be framed (a BDAT whose chunk size is unreadable), so the session ends after the reply.
/// </summary>
public sealed record InvalidCommand(SmtpReply Reply, bool Fatal = false) : SmtpCommand;
