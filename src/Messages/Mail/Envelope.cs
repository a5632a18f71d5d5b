namespace Tunnel.Messages.Mail;

/// <summary>
/// The message-level envelope, as MAIL FROM gave it, carried to the next hop: the reverse path
/// (null for the null sender &lt;&gt;), BODY= (RFC 6152), SMTPUTF8 (RFC 6531) and the DSN
/// parameters ENVID and RET (RFC 3461). Recipients travel separately, per destination domain.
/// </summary>
public sealed record Envelope(
    Mailbox? Sender,
    BodyType Body = BodyType.Unspecified,
    bool SmtpUtf8 = false,
    string? EnvelopeId = null,
    DsnReturn Return = DsnReturn.Unspecified);
