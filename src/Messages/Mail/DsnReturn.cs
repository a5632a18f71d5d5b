namespace Tunnel.Messages.Mail;

/// <summary>The MAIL FROM RET= parameter (RFC 3461 §4.3): how much of the message a DSN returns.</summary>
public enum DsnReturn
{
    /// <summary>The client did not say; the MTA chooses.</summary>
    Unspecified = 0,
    Full = 1,
    Headers = 2,
}
