using System.Net;
using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>What the session must do besides sending the reply.</summary>
public enum SessionEffect
{
    None,
    /// <summary>354 was sent: the next bytes are message content for <see cref="DataReader"/>.</summary>
    BeginData,
    /// <summary>Send the reply, then close the connection.</summary>
    Close,
}

public readonly record struct DialogStep(SmtpReply Reply, SessionEffect Effect = SessionEffect.None);

/// <summary>Limits and identity the dialog needs; all of them come from configuration.</summary>
public sealed record DialogOptions(string Hostname, long MaxMessageSize, int MaxRecipients);

/// <summary>
/// The RFC 5321 command sequence of one SMTP session as a pure state machine: greeting done →
/// HELO/EHLO → MAIL → RCPT… → DATA. It answers every command with a reply from
/// <see cref="SmtpReplies"/> and tells the session when data begins or the connection ends. It
/// knows nothing of sockets, time or storage: the session feeds it parsed commands.
/// </summary>
public sealed class SmtpDialog(DialogOptions options, RelayPolicy relay, IPAddress client)
{
    private readonly List<Recipient> _recipients = [];

    public string? ClientName { get; private set; }
    public bool Extended { get; private set; }
    public bool InTransaction { get; private set; }
    /// <summary>The transaction's envelope, set by MAIL; null outside a transaction.</summary>
    public Envelope? Envelope { get; private set; }
    public IReadOnlyList<Recipient> Recipients => _recipients;

    /// <summary>The ESMTP extensions we implement, advertised in the EHLO reply (RFC 5321 §4.1.1.1).</summary>
    public IEnumerable<string> Extensions =>
    [
        "PIPELINING",                        // RFC 2920
        $"SIZE {options.MaxMessageSize}",    // RFC 1870
        "8BITMIME",                          // RFC 6152
        "ENHANCEDSTATUSCODES",               // RFC 2034
    ];

    public DialogStep Handle(SmtpCommand command) => command switch
    {
        InvalidCommand invalid => new(invalid.Reply),
        HelloCommand hello => Hello(hello),
        MailCommand mail => Mail(mail),
        RcptCommand rcpt => Rcpt(rcpt),
        SimpleCommand { Verb: SmtpVerb.Data } => Data(),
        SimpleCommand { Verb: SmtpVerb.Rset } => Reset(),
        SimpleCommand { Verb: SmtpVerb.Noop } => new(SmtpReplies.Ok),
        SimpleCommand { Verb: SmtpVerb.Quit } => new(SmtpReplies.Bye(options.Hostname), SessionEffect.Close),
        SimpleCommand { Verb: SmtpVerb.NotImplemented } => new(SmtpReplies.NotImplemented),
        _ => new(SmtpReplies.UnknownCommand),
    };

    /// <summary>Ends the transaction after its data was taken or refused (RFC 5321 §4.1.1.4).</summary>
    public void EndTransaction()
    {
        InTransaction = false;
        Envelope = null;
        _recipients.Clear();
    }

    private DialogStep Hello(HelloCommand hello)
    {
        EndTransaction(); // HELO/EHLO reset any transaction (RFC 5321 §4.1.4)
        ClientName = hello.ClientName;
        Extended = hello.Extended;
        return new(hello.Extended
            ? SmtpReplies.Ehlo(options.Hostname, hello.ClientName, Extensions)
            : SmtpReplies.Helo(options.Hostname, hello.ClientName));
    }

    private DialogStep Mail(MailCommand mail)
    {
        if (ClientName is null) return new(SmtpReplies.NeedHelo);
        if (InTransaction) return new(SmtpReplies.NestedMail);
        if (mail.Sender is { } sender && !IsAscii(sender.LocalPart)) return new(SmtpReplies.NonAsciiAddress);
        // RFC 1870 §6: refuse at MAIL when the declared size is over our limit.
        if (mail.DeclaredSize > options.MaxMessageSize) return new(SmtpReplies.MessageTooBig(options.MaxMessageSize));
        InTransaction = true;
        Envelope = new Envelope(mail.Sender, mail.Body);
        return new(SmtpReplies.SenderOk);
    }

    private DialogStep Rcpt(RcptCommand rcpt)
    {
        if (!InTransaction) return new(SmtpReplies.NeedMail);
        if (!IsAscii(rcpt.Recipient.LocalPart)) return new(SmtpReplies.NonAsciiAddress);
        if (_recipients.Count >= options.MaxRecipients) return new(SmtpReplies.TooManyRecipients);
        if (!relay.Accepts(rcpt.Recipient, client)) return new(SmtpReplies.RelayDenied);
        _recipients.Add(new Recipient(rcpt.Recipient));
        return new(SmtpReplies.RecipientOk);
    }

    private DialogStep Data()
    {
        if (!InTransaction) return new(SmtpReplies.NeedMail);
        if (_recipients.Count == 0) return new(SmtpReplies.NeedRecipient);
        return new(SmtpReplies.StartData, SessionEffect.BeginData);
    }

    private DialogStep Reset()
    {
        EndTransaction();
        return new(SmtpReplies.ResetOk);
    }

    private static bool IsAscii(string s) => s.All(char.IsAscii);
}
