using System.Net;
using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>What the session must do besides sending the reply.</summary>
public enum SessionEffect
{
    None,
    /// <summary>354 was sent: the next bytes are message content for <see cref="DataReader"/>.</summary>
    BeginData,
    /// <summary>BDAT accepted: the next <c>size</c> octets are message content; the reply follows them.</summary>
    ReceiveChunk,
    /// <summary>BDAT refused: the next <c>size</c> octets are read and dropped, then <see cref="DialogStep.Reply"/> is sent (RFC 3030 §2).</summary>
    SkipChunk,
    /// <summary>No reply yet: ask DNS about <see cref="DialogStep.Domain"/> and give the verdict to <see cref="SmtpDialog.DomainVerified"/>.</summary>
    VerifyDomain,
    /// <summary>No reply yet: ask the real MX about <see cref="SmtpDialog.PendingRecipient"/> and give the verdict to <see cref="SmtpDialog.RecipientVerified"/>.</summary>
    VerifyRecipient,
    /// <summary>Send the reply (220), drop any input already received, and start TLS (RFC 3207 §4.2).</summary>
    StartTls,
    /// <summary>Send the reply, then close the connection.</summary>
    Close,
}

/// <param name="Reply">The reply to send; null only for <see cref="SessionEffect.VerifyDomain"/>, <see cref="SessionEffect.VerifyRecipient"/>
/// and <see cref="SessionEffect.ReceiveChunk"/>, whose reply comes later.</param>
public readonly record struct DialogStep(SmtpReply? Reply, SessionEffect Effect = SessionEffect.None, string? Domain = null);

/// <summary>Limits and identity the dialog needs; all of them come from configuration.</summary>
/// <param name="VerifyRecipients">Recipients of tunneled domains are verified with their real MX before they are accepted.</param>
/// <param name="AcceptUnverified">When that MX gives no answer: accept (true) or 450 4.1.1.</param>
public sealed record DialogOptions(string Hostname, long MaxMessageSize, int MaxRecipients, bool TlsOffered = false,
    bool VerifyRecipients = false, bool AcceptUnverified = true);

/// <summary>
/// The RFC 5321 command sequence of one SMTP session as a pure state machine: greeting done →
/// HELO/EHLO → MAIL → RCPT… → DATA or BDAT…. It answers every command with a reply from
/// <see cref="SmtpReplies"/> and tells the session when data begins, when a domain needs a DNS
/// verdict, when TLS starts and when the connection ends. It knows nothing of sockets, time or
/// storage: the session feeds it parsed commands.
/// </summary>
public sealed class SmtpDialog(DialogOptions options, RelayPolicy relay, IPAddress client)
{
    private readonly List<Recipient> _recipients = [];
    private RcptCommand? _pendingRecipient;

    /// <summary>The recipient whose RCPT waits for a verdict (DNS or the real MX).</summary>
    public Mailbox? PendingRecipient => _pendingRecipient?.Recipient;
    private bool _chunking;

    public string? ClientName { get; private set; }
    public bool Extended { get; private set; }
    /// <summary>The session runs over TLS (STARTTLS done).</summary>
    public bool Tls { get; private set; }
    public bool InTransaction { get; private set; }

    /// <summary>Set by the host when the node holds as much pending mail as it may: MAIL is then put off (451 4.3.1).</summary>
    public bool Overloaded { get; set; }

    /// <summary>Set by the host when this client holds as many transactions as one client may: MAIL is put off too.</summary>
    public bool ClientOverloaded { get; set; }

    /// <summary>Set by the host: the node's memory left for message content. A MAIL declaring more gets 452 4.3.1.</summary>
    public long ContentRoom { get; set; } = long.MaxValue;
    /// <summary>The transaction's envelope, set by MAIL; null outside a transaction.</summary>
    public Envelope? Envelope { get; private set; }
    public IReadOnlyList<Recipient> Recipients => _recipients;
    /// <summary>This transaction's data is coming in BDAT chunks (RFC 3030).</summary>
    public bool Chunking => _chunking;

    /// <summary>The ESMTP extensions we implement, advertised in the EHLO reply (RFC 5321 §4.1.1.1).</summary>
    public IEnumerable<string> Extensions
    {
        get
        {
            yield return "PIPELINING";                        // RFC 2920
            yield return $"SIZE {options.MaxMessageSize}";    // RFC 1870
            yield return "8BITMIME";                          // RFC 6152
            yield return "ENHANCEDSTATUSCODES";               // RFC 2034
            yield return "SMTPUTF8";                          // RFC 6531
            yield return "DSN";                               // RFC 3461
            yield return "CHUNKING";                          // RFC 3030
            if (options.TlsOffered && !Tls) yield return "STARTTLS"; // RFC 3207 §4.2: not again after TLS
        }
    }

    public DialogStep Handle(SmtpCommand command) => command switch
    {
        InvalidCommand invalid => new(invalid.Reply, invalid.Fatal ? SessionEffect.Close : SessionEffect.None),
        HelloCommand hello => Hello(hello),
        MailCommand mail => Mail(mail),
        RcptCommand rcpt => Rcpt(rcpt),
        BdatCommand bdat => Bdat(bdat),
        SimpleCommand { Verb: SmtpVerb.Data } => Data(),
        SimpleCommand { Verb: SmtpVerb.Rset } => Reset(),
        SimpleCommand { Verb: SmtpVerb.Noop } => new(SmtpReplies.Ok),
        SimpleCommand { Verb: SmtpVerb.Help } => new(SmtpReplies.Help),
        SimpleCommand { Verb: SmtpVerb.Vrfy } => new(SmtpReplies.CannotVerify),
        SimpleCommand { Verb: SmtpVerb.StartTls } => StartTls(),
        SimpleCommand { Verb: SmtpVerb.Quit } => new(SmtpReplies.Bye(options.Hostname), SessionEffect.Close),
        SimpleCommand { Verb: SmtpVerb.NotImplemented } => new(SmtpReplies.NotImplemented),
        _ => new(SmtpReplies.UnknownCommand),
    };

    /// <summary>The DNS verdict for the RCPT that asked for <see cref="SessionEffect.VerifyDomain"/>.</summary>
    public DialogStep DomainVerified(TunnelDomainVerdict verdict)
    {
        var rcpt = _pendingRecipient ?? throw new InvalidOperationException("no RCPT is waiting for a DNS verdict");
        _pendingRecipient = null;
        return verdict switch
        {
            TunnelDomainVerdict.Tunneled => AcceptOrVerify(rcpt),
            TunnelDomainVerdict.NotTunneled => new(SmtpReplies.RelayDenied),
            _ => new(SmtpReplies.DomainNotVerified(rcpt.Recipient.Domain)),
        };
    }

    /// <summary>
    /// TLS is up: everything learnt before it is forgotten, EHLO included (RFC 3207 §4.2), so
    /// nothing a man in the middle injected before the handshake survives it.
    /// </summary>
    public void TlsStarted()
    {
        EndTransaction();
        ClientName = null;
        Extended = false;
        Tls = true;
    }

    /// <summary>Ends the transaction after its data was taken or refused (RFC 5321 §4.1.1.4).</summary>
    public void EndTransaction()
    {
        InTransaction = false;
        Envelope = null;
        _recipients.Clear();
        _pendingRecipient = null;
        _chunking = false;
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
        if (Overloaded) return new(SmtpReplies.Overloaded);
        if (ClientOverloaded) return new(SmtpReplies.ClientOverloaded);
        // Parameters belong to extensions, which only EHLO announced (RFC 5321 §4.1.1.1).
        if (mail.UsesExtensions && !Extended) return new(SmtpReplies.ParametersNeedEhlo);
        // RFC 6531 §3.4: a non-ASCII address needs the SMTPUTF8 parameter.
        if (mail.Sender is { } sender && !mail.SmtpUtf8 && !IsAscii(sender.LocalPart)) return new(SmtpReplies.NonAsciiAddress);
        // RFC 1870 §6: refuse at MAIL when the declared size is over our limit.
        if (mail.DeclaredSize > options.MaxMessageSize) return new(SmtpReplies.MessageTooBig(options.MaxMessageSize));
        // RFC 1870 §6 too: the size is ours to take, but not now (452: insufficient system storage).
        if (mail.DeclaredSize > ContentRoom) return new(SmtpReplies.InsufficientStorage);
        InTransaction = true;
        Envelope = new Envelope(mail.Sender, mail.Body, mail.SmtpUtf8, mail.EnvelopeId, mail.Return);
        return new(SmtpReplies.SenderOk);
    }

    private DialogStep Rcpt(RcptCommand rcpt)
    {
        if (!InTransaction) return new(SmtpReplies.NeedMail);
        if (_chunking) return new(SmtpReplies.RcptAfterData);
        if (rcpt.UsesExtensions && !Extended) return new(SmtpReplies.ParametersNeedEhlo);
        if (!Envelope!.SmtpUtf8 && (!IsAscii(rcpt.Recipient.LocalPart) || rcpt.RawUtf8)) return new(SmtpReplies.NonAsciiAddress);
        if (_recipients.Count >= options.MaxRecipients) return new(SmtpReplies.TooManyRecipients);
        switch (relay.Decide(rcpt.Recipient, client))
        {
            case RelayDecision.Accept:
                return AcceptOrVerify(rcpt);
            case RelayDecision.VerifyDomain:
                _pendingRecipient = rcpt;
                return new(null, SessionEffect.VerifyDomain, rcpt.Recipient.Domain);
            default:
                return new(SmtpReplies.RelayDenied);
        }
    }

    /// <summary>
    /// A tunneled domain's recipient is accepted only once its real MX has said it takes it
    /// (when verification is on): otherwise a refusal there would bounce to a sender who may be
    /// forged (backscatter). An authorised client's recipients are its own business.
    /// </summary>
    private DialogStep AcceptOrVerify(RcptCommand rcpt)
    {
        if (!options.VerifyRecipients || relay.IsAuthorisedClient(client)) return Accept(rcpt);
        _pendingRecipient = rcpt;
        return new(null, SessionEffect.VerifyRecipient);
    }

    /// <summary>The real MX's verdict for the RCPT that asked for <see cref="SessionEffect.VerifyRecipient"/>.</summary>
    public DialogStep RecipientVerified(RecipientVerdict verdict)
    {
        var rcpt = _pendingRecipient ?? throw new InvalidOperationException("no RCPT is waiting for a recipient verdict");
        _pendingRecipient = null;
        return verdict switch
        {
            RecipientVerdict.Valid => Accept(rcpt),
            RecipientVerdict.Invalid invalid => new(SmtpReplies.UndeliverableRecipient(rcpt.Recipient, invalid.Reply)),
            RecipientVerdict.Unknown when options.AcceptUnverified => Accept(rcpt),
            RecipientVerdict.Unknown unknown => new(SmtpReplies.UnverifiedRecipient(rcpt.Recipient, unknown.Reason)),
            _ => throw new ArgumentOutOfRangeException(nameof(verdict)),
        };
    }

    private DialogStep Accept(RcptCommand rcpt)
    {
        _recipients.Add(new Recipient(rcpt.Recipient, rcpt.Notify, rcpt.OriginalRecipient));
        return new(SmtpReplies.RecipientOk);
    }

    private DialogStep Data()
    {
        if (!InTransaction) return new(SmtpReplies.NeedMail);
        if (_chunking) return new(SmtpReplies.DataAfterBdat); // RFC 3030 §2: no mixing
        if (_recipients.Count == 0) return new(SmtpReplies.NeedRecipient);
        return new(SmtpReplies.StartData, SessionEffect.BeginData);
    }

    /// <summary>
    /// RFC 3030 §2: the chunk follows the command whatever we answer, so a refused BDAT still has
    /// its octets read (and dropped): never interpreted as commands, which would let a message's
    /// content smuggle commands in.
    /// </summary>
    private DialogStep Bdat(BdatCommand bdat)
    {
        if (!InTransaction) return new(SmtpReplies.NeedMail, SessionEffect.SkipChunk);
        if (_recipients.Count == 0) return new(SmtpReplies.NeedRecipient, SessionEffect.SkipChunk);
        _chunking = true;
        return new(null, SessionEffect.ReceiveChunk);
    }

    private DialogStep StartTls()
    {
        if (!options.TlsOffered) return new(SmtpReplies.NotImplemented);
        if (Tls) return new(SmtpReplies.TlsActive);
        if (InTransaction) return new(SmtpReplies.TlsInTransaction);
        return new(SmtpReplies.ReadyForTls, SessionEffect.StartTls);
    }

    private DialogStep Reset()
    {
        EndTransaction();
        return new(SmtpReplies.ResetOk);
    }

    private static bool IsAscii(string s) => s.All(char.IsAscii);
}
