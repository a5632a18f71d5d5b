using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>One parsed command line. Syntax errors are values too (<see cref="InvalidCommand"/>).</summary>
public abstract record SmtpCommand;

/// <summary>EHLO or HELO with the client's claimed name (RFC 5321 §4.1.1.1).</summary>
public sealed record HelloCommand(bool Extended, string ClientName) : SmtpCommand;

/// <summary>MAIL FROM (RFC 5321 §4.1.1.2); <see cref="Sender"/> is null for the null reverse-path &lt;&gt;.</summary>
public sealed record MailCommand(Mailbox? Sender, long? DeclaredSize, BodyType Body) : SmtpCommand;

/// <summary>RCPT TO (RFC 5321 §4.1.1.3), source route already dropped.</summary>
public sealed record RcptCommand(Mailbox Recipient) : SmtpCommand;

/// <summary>A verb without arguments we need to look at: DATA, RSET, NOOP, QUIT, and the ones we answer 500/502.</summary>
public sealed record SimpleCommand(SmtpVerb Verb) : SmtpCommand;

/// <summary>A line we could not accept, with the reply that says why.</summary>
public sealed record InvalidCommand(SmtpReply Reply) : SmtpCommand;
