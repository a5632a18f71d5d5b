namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>
/// Every reply the SMTP session sends, with its code and enhanced status code in one place
/// (RFC 5321 §4.2, RFC 3463). The session never writes a bare code of its own.
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
    public static readonly SmtpReply StartData = new(354, null, "End data with <CR><LF>.<CR><LF>");
    public static SmtpReply Bye(string hostname) => new(221, "2.0.0", $"{hostname} closing connection");

    // 4xx: try again later.
    public static SmtpReply ShuttingDown(string hostname) => new(421, "4.3.2", $"{hostname} Service shutting down, try again later");
    public static SmtpReply Timeout(string hostname) => new(421, "4.4.2", $"{hostname} Error: timeout exceeded");
    public static SmtpReply TooManyErrors(string hostname) => new(421, "4.7.0", $"{hostname} Error: too many errors");
    public static readonly SmtpReply NotStored = new(451, "4.3.0", "Error: queue file write error, try again later");
    public static readonly SmtpReply TooManyRecipients = new(452, "4.5.3", "Error: too many recipients");

    // 5xx: permanent.
    public static readonly SmtpReply UnknownCommand = new(500, "5.5.1", "Error: command not recognized");
    public static readonly SmtpReply LineTooLong = new(500, "5.5.2", "Error: line too long");
    public static readonly SmtpReply BareLineFeed = new(500, "5.5.2", "Error: bare <CR> or <LF> received, lines must end with <CR><LF>");
    public static SmtpReply Syntax(string what) => new(501, "5.5.4", $"Syntax: {what}");
    public static readonly SmtpReply NotImplemented = new(502, "5.5.1", "Error: command not implemented");
    public static readonly SmtpReply NeedHelo = new(503, "5.5.1", "Error: send HELO/EHLO first");
    public static readonly SmtpReply NestedMail = new(503, "5.5.1", "Error: nested MAIL command");
    public static readonly SmtpReply NeedMail = new(503, "5.5.1", "Error: need MAIL command");
    public static readonly SmtpReply NeedRecipient = new(503, "5.5.1", "Error: need RCPT command");
    public static SmtpReply ParameterNotSupported(string name) => new(555, "5.5.4", $"Error: MAIL/RCPT parameter {name} not recognized or not implemented");
    public static readonly SmtpReply RelayDenied = new(550, "5.7.1", "Relaying denied");
    public static readonly SmtpReply NonAsciiAddress = new(553, "5.6.7", "Error: non-ASCII address requires SMTPUTF8, which is not offered");
    public static SmtpReply MessageTooBig(long limit) => new(552, "5.3.4", $"Error: message exceeds fixed maximum message size of {limit} bytes");
    public static readonly SmtpReply BareLineFeedInData = new(554, "5.6.0", "Error: message refused, bare <CR> or <LF> in data (lines must end with <CR><LF>)");
    public static readonly SmtpReply DataLineTooLong = new(554, "5.6.0", "Error: message refused, a text line is longer than 998 octets");
}
