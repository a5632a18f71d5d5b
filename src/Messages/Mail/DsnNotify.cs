namespace Tunnel.Messages.Mail;

/// <summary>The RCPT TO NOTIFY= parameter (RFC 3461 §4.1): when the sender wants a DSN.</summary>
[Flags]
public enum DsnNotify
{
    /// <summary>The client did not say: a DSN on failure and delay warnings (RFC 3461 §4.1 leaves it to us).</summary>
    Unspecified = 0,
    Never = 1,
    Success = 2,
    Failure = 4,
    Delay = 8,
}
