using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>
/// Every reply the SMTP session sends, with its code and enhanced status code in one place
/// (RFC 5321 §4.2, RFC 3463). The session never writes a bare code of its own. Every reply
/// carries an enhanced code (RFC 2034 §3) except where that RFC leaves it out: the greeting,
/// the HELO/EHLO reply, and 354, which is not a 2xx, 4xx or 5xx.
/// </summary>
public static class SmtpReplies
{
    public static SmtpReply Greeting(string hostname) => new(220, null, $"{hostname} ESMTP Tunnel");
    public static SmtpReply Helo(string hostname, string client) => new(250, null, $"{hostname} Hello {client}");
    public static SmtpReply Ehlo(string hostname, string client, IEnumerable<string> extensions) =>
        new(250, null, string.Join('\n', extensions.Prepend($"{hostname} Hello {client}")));

    public static readonly SmtpReply Ok = new(250, "2.0.0", "Ok");
    public static readonly SmtpReply SenderOk = new(250, "2.1.0", "Sender ok");
    public static readonly SmtpReply RecipientOk = new(250, "2.1.5", "Recipient ok");
    public static readonly SmtpReply ResetOk = new(250, "2.0.0", "Reset state");
    public static SmtpReply Queued(string id) => new(250, "2.0.0", $"Ok: queued as {id}");
    public static SmtpReply ChunkReceived(long octets) => new(250, "2.0.0", $"{octets} octets received");
    public static readonly SmtpReply StartData = new(354, null, "End data with <CR><LF>.<CR><LF>");
    public static SmtpReply Bye(string hostname) => new(221, "2.0.0", $"{hostname} closing connection");
    public static readonly SmtpReply ReadyForTls = new(220, "2.0.0", "Ready to start TLS");
    // RFC 5321 §3.5.3: 252 when we will not verify but will take mail for the address.
    public static readonly SmtpReply CannotVerify = new(252, "2.0.0", "Cannot VRFY user, but will accept message for relayed domains and attempt delivery");
    public static readonly SmtpReply Help = new(214, "2.0.0",
        "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS\nSee RFC 5321; postmaster of this site for anything else");

    // 4xx: try again later.
    public static SmtpReply ShuttingDown(string hostname) => new(421, "4.3.2", $"{hostname} Service shutting down, try again later");
    public static SmtpReply Busy(string hostname) => new(421, "4.3.2", $"{hostname} Error: too busy, try again later");
    public static readonly SmtpReply Overloaded = new(451, "4.3.1", "Error: insufficient system resources, try again later");
    /// <summary>Postfix's reject_unverified_recipient: what the real MX said, on one line and not too long.</summary>
    public static SmtpReply UndeliverableRecipient(Mailbox recipient, string remote) =>
        new(550, "5.1.1", $"<{recipient}>: Recipient address rejected: undeliverable address: {OneLine(remote)}");

    public static SmtpReply UnverifiedRecipient(Mailbox recipient, string reason) =>
        new(450, "4.1.1", $"<{recipient}>: Recipient address rejected: unverified address: {OneLine(reason)}");

    private static string OneLine(string text)
    {
        var line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length <= 200 ? line : line[..200] + "…";
    }

    public static readonly SmtpReply InsufficientStorage = new(452, "4.3.1", "Error: insufficient system storage, try again later");
    public static readonly SmtpReply ClientOverloaded = new(451, "4.3.1", "Error: too many messages in progress from your address, try again later");
    public static SmtpReply Timeout(string hostname) => new(421, "4.4.2", $"{hostname} Error: timeout exceeded");
    public static SmtpReply TooManyErrors(string hostname) => new(421, "4.7.0", $"{hostname} Error: too many errors");
    public static SmtpReply TooManyConnections(string hostname) => new(421, "4.7.0", $"{hostname} Error: too many connections, try again later");
    public static SmtpReply TooManyConnectionsFromClient(string hostname) => new(421, "4.7.0", $"{hostname} Error: too many connections from your address, try again later");
    public static readonly SmtpReply NotStored = new(451, "4.3.0", "Error: queue file write error, try again later");
    public static SmtpReply DomainNotVerified(string domain) => new(451, "4.4.3", $"Error: cannot verify that {domain} is a tunneled domain now (DNS), try again later");
    public static readonly SmtpReply TooManyRecipients = new(452, "4.5.3", "Error: too many recipients");

    // 5xx: permanent.
    public static readonly SmtpReply UnknownCommand = new(500, "5.5.1", "Error: command not recognized");
    public static readonly SmtpReply LineTooLong = new(500, "5.5.2", "Error: line too long");
    public static readonly SmtpReply BareLineFeed = new(500, "5.5.2", "Error: bare <CR> or <LF> received, lines must end with <CR><LF>; closing connection");
    public static readonly SmtpReply NulInCommand = new(500, "5.5.2", "Error: NUL character in command");
    public static readonly SmtpReply InvalidUtf8 = new(500, "5.5.2", "Error: command is not valid UTF-8");
    public static SmtpReply Syntax(string what) => new(501, "5.5.4", $"Syntax: {what}");
    public static readonly SmtpReply BdatSyntax = new(501, "5.5.4", "Syntax: BDAT size [LAST]; without a size the chunk cannot be skipped, closing connection");
    public static SmtpReply BadSender(string why) => new(501, "5.1.7", $"Bad sender address syntax: {why}");
    public static SmtpReply BadRecipient(string why) => new(501, "5.1.3", $"Bad recipient address syntax: {why}");
    public static readonly SmtpReply NotImplemented = new(502, "5.5.1", "Error: command not implemented");
    public static readonly SmtpReply NeedHelo = new(503, "5.5.1", "Error: send HELO/EHLO first");
    public static readonly SmtpReply NestedMail = new(503, "5.5.1", "Error: nested MAIL command");
    public static readonly SmtpReply NeedMail = new(503, "5.5.1", "Error: need MAIL command");
    public static readonly SmtpReply NeedRecipient = new(503, "5.5.1", "Error: need RCPT command");
    public static readonly SmtpReply DataAfterBdat = new(503, "5.5.1", "Error: DATA cannot follow BDAT in one transaction");
    public static readonly SmtpReply RcptAfterData = new(503, "5.5.1", "Error: RCPT after message data");
    public static readonly SmtpReply TlsActive = new(503, "5.5.1", "Error: TLS already active");
    public static readonly SmtpReply TlsInTransaction = new(503, "5.5.1", "Error: STARTTLS inside a mail transaction");
    public static SmtpReply ParameterNotSupported(string name) => new(555, "5.5.4", $"Error: MAIL/RCPT parameter {name} not recognized or not implemented");
    public static readonly SmtpReply ParametersNeedEhlo = new(555, "5.5.4", "Error: MAIL/RCPT parameters need EHLO, not HELO");
    public static readonly SmtpReply RelayDenied = new(550, "5.7.1", "Relaying denied");
    public static readonly SmtpReply NonAsciiAddress = new(553, "5.6.7", "Error: non-ASCII address or ORCPT requires MAIL FROM with SMTPUTF8 (RFC 6531)");
    public static SmtpReply MessageTooBig(long limit) => new(552, "5.3.4", $"Error: message exceeds fixed maximum message size of {limit} bytes");
    public static SmtpReply EarlyTalker(string hostname) => new(554, "5.5.0", $"{hostname} Error: you talked before the greeting; closing connection");
    public static readonly SmtpReply MailLoop = new(554, "5.4.6", "Error: message refused, too many Received headers (mail loop)");
    public static readonly SmtpReply BareLineFeedInData = new(554, "5.6.0", "Error: message refused, bare <CR> or <LF> in data (lines must end with <CR><LF>)");
    public static readonly SmtpReply DataLineTooLong = new(554, "5.6.0", "Error: message refused, a text line is longer than 998 octets");
    public static readonly SmtpReply NulInData = new(554, "5.6.0", "Error: message refused, NUL character in data");
}
