using System.Net;
using System.Text;
using System.Text.Unicode;
using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>What the conversation needs from its host before it can go on.</summary>
public enum ConversationNeed
{
    /// <summary>More bytes from the client (send the collected replies first if there are no more buffered).</summary>
    Input,
    /// <summary>Store <see cref="SmtpConversation.Message"/>, then call <see cref="SmtpConversation.Committed"/>.</summary>
    Commit,
    /// <summary>Ask DNS about <see cref="SmtpConversation.PendingDomain"/>, then call <see cref="SmtpConversation.DomainVerified"/>.</summary>
    VerifyDomain,
    /// <summary>Ask the real MX about <see cref="SmtpConversation.PendingRecipient"/>, then call <see cref="SmtpConversation.RecipientVerified"/>.</summary>
    VerifyRecipient,
    /// <summary>Send the replies, throw away every byte received after the STARTTLS line, do the handshake, then call <see cref="SmtpConversation.TlsStarted"/>.</summary>
    StartTls,
    /// <summary>Send the replies and close the connection.</summary>
    Close,
}

/// <summary>Whose time the host is counting: waiting for a command or for message data (RFC 5321 §4.5.3.2).</summary>
public enum ConversationPhase { Command, Data }

/// <summary>A message received in full and passing every check, to be made durable.</summary>
public sealed record ReceivedMessage(string? ClientName, string Protocol, Envelope Envelope, IReadOnlyList<Recipient> Recipients, ReadOnlyMemory<byte> Content);

/// <summary>
/// One SMTP connection's protocol as pure code ("sans I/O"): bytes in, replies and needs out. It
/// frames command lines (<see cref="CommandLineReader"/>), parses them, lets
/// <see cref="SmtpDialog"/> answer, reads DATA (<see cref="DataReader"/>) and BDAT chunks
/// (<see cref="ChunkReader"/>), checks finished messages (<see cref="MessageChecks"/>), counts
/// errors, and stops at each point where the host must act (store, ask DNS, start TLS, close).
/// It stops there with the rest of the input unread, so pipelined commands are answered in
/// order (RFC 2920 §3.1) whatever the host does in between. The host (the SmtpSession actor)
/// owns the socket, the buffers, the clock and storage.
/// </summary>
public sealed class SmtpConversation
{
    private readonly string _hostname;
    private readonly SessionLimits _limits;
    private readonly SmtpDialog _dialog;
    private readonly Action<SmtpReply> _messageRefused;
    private readonly Action<SmtpReply, Mailbox?, Mailbox?> _recipientRefused;
    private readonly StringBuilder _replies = new();
    private CommandLineReader _lines;
    private int _errors;

    // DATA
    private DataReader? _data;
    private readonly ContentBudget? _budget;
    private PooledBufferWriter? _content;
    // The content of Message while it is being stored; returned to the pool by Committed.
    private PooledBufferWriter? _committing;
    // BDAT: a chunk in progress (kept in _chunkReader, or skipped when the BDAT was refused)
    private ChunkReader? _chunkReader;
    private long _chunkRemaining;
    private bool _inChunk;
    private bool _chunkLast;
    private SmtpReply? _chunkRefusal;

    /// <param name="budget">The node's memory for message content; null: unbounded (tests of the protocol alone).</param>
    /// <param name="verification">Whether recipients of tunneled domains are verified with their real MX; null: not.</param>
    public SmtpConversation(string hostname, SessionLimits limits, RelayPolicy relay, IPAddress client, bool tlsOffered,
        Action<SmtpReply>? messageRefused = null, Action<SmtpReply, Mailbox?, Mailbox?>? recipientRefused = null, ContentBudget? budget = null,
        RecipientVerification? verification = null)
    {
        _budget = budget;
        _recipientRefused = recipientRefused ?? ((_, _, _) => { });
        _hostname = hostname;
        _limits = limits;
        _dialog = new SmtpDialog(new DialogOptions(hostname, limits.MaxMessageSize, limits.MaxRecipients, tlsOffered,
            VerifyRecipients: verification?.Enabled ?? false, AcceptUnverified: verification?.AcceptWhenUnknown ?? true), relay, client);
        _messageRefused = messageRefused ?? (_ => { });
        _lines = NewLineReader();
    }

    public bool Closing { get; private set; }

    /// <summary>Between an accepted MAIL and the reply to its data (or RSET): a message is being received or stored.</summary>
    public bool InTransaction => _dialog.InTransaction;

    /// <summary>The node is full: the next MAIL gets 451 4.3.1 (see <see cref="SmtpDialog.Overloaded"/>).</summary>
    public bool Overloaded { set => _dialog.Overloaded = value; }

    /// <summary>This client holds its share of the node's transactions: its next MAIL gets 451 4.3.1.</summary>
    public bool ClientOverloaded { set => _dialog.ClientOverloaded = value; }

    /// <summary>What is left of the node's memory for message content: a MAIL declaring more (SIZE=) gets 452 4.3.1.</summary>
    public long ContentRoom { set => _dialog.ContentRoom = value; }
    public ConversationPhase Phase => _data is not null || _inChunk ? ConversationPhase.Data : ConversationPhase.Command;
    public string? PendingDomain { get; private set; }
    public Mailbox? PendingRecipient => _dialog.PendingRecipient;
    /// <summary>
    /// Set while <see cref="ConversationNeed.Commit"/> is pending. Its content lives in a pooled
    /// buffer that <see cref="Committed"/> gives back: copy what you keep before calling it.
    /// </summary>
    public ReceivedMessage? Message { get; private set; }
    public string? ClientName => _dialog.ClientName;
    public bool HasReplies => _replies.Length > 0;

    /// <summary>The replies collected since the last call, ready for the wire.</summary>
    public byte[] TakeReplies()
    {
        var bytes = Encoding.UTF8.GetBytes(_replies.ToString());
        _replies.Clear();
        return bytes;
    }

    public void Greet() => Reply(SmtpReplies.Greeting(_hostname));

    /// <summary>The client sent bytes before our greeting: refuse it (RFC 5321 §3.1 allows 554 instead of 220).</summary>
    public void RefuseEarlyTalker() => CloseWith(SmtpReplies.EarlyTalker(_hostname));

    public void TimedOut() => CloseWith(SmtpReplies.Timeout(_hostname));

    public void ShuttingDown() => CloseWith(SmtpReplies.ShuttingDown(_hostname));

    /// <summary>Works through <paramref name="input"/> until it runs out or the host must act.</summary>
    /// <param name="consumed">Bytes used; the host keeps the rest for the next call.</param>
    public ConversationNeed Process(ReadOnlySpan<byte> input, out int consumed)
    {
        consumed = 0;
        while (!Closing)
        {
            var rest = input[consumed..];
            if (_inChunk)
            {
                var take = (int)Math.Min(_chunkRemaining, rest.Length);
                if (_chunkRefusal is null) _chunkReader!.Feed(rest[..take]);
                consumed += take;
                _chunkRemaining -= take;
                if (_chunkRemaining > 0) return ConversationNeed.Input;
                _inChunk = false;
                if (EndOfChunk() is { } need) return need;
                continue;
            }
            if (rest.IsEmpty) return ConversationNeed.Input;
            if (_data is not null)
            {
                consumed += _data.Feed(rest);
                if (!_data.Complete) return ConversationNeed.Input;
                if (EndOfData() is { } need) return need;
                continue;
            }

            var status = _lines.Read(rest, out var length, out var used);
            var line = rest[..length];
            consumed += used;
            switch (status)
            {
                case CommandLineReader.Status.NeedMore:
                    return ConversationNeed.Input;
                case CommandLineReader.Status.BareNewline:
                    // Decision (docs/decisions.md): where a bare CR or LF ends the client's command
                    // is exactly what we cannot know, so we guess nothing: reply and hang up.
                    CloseWith(SmtpReplies.BareLineFeed);
                    return ConversationNeed.Close;
                case CommandLineReader.Status.TooLong:
                    Error(SmtpReplies.LineTooLong);
                    break;
                case CommandLineReader.Status.Nul:
                    Error(SmtpReplies.NulInCommand);
                    break;
                case CommandLineReader.Status.Line when line.Length > CommandLineLimits.For(line, _limits.MaxCommandLine):
                    Error(SmtpReplies.LineTooLong);
                    break;
                case CommandLineReader.Status.Line when !Utf8.IsValid(line):
                    Error(SmtpReplies.InvalidUtf8);
                    break;
                case CommandLineReader.Status.Line:
                    // A chunked message abandoned by RSET, HELO/EHLO or an error leaves no content behind.
                    if (_chunkReader is not null && !_dialog.Chunking) DropContent();
                    var command = SmtpCommandParser.Parse(Encoding.UTF8.GetString(line));
                    if (Apply(_dialog.Handle(command), command) is { } need) return need;
                    break;
            }
            if (_errors > _limits.MaxErrors)
            {
                CloseWith(SmtpReplies.TooManyErrors(_hostname));
                return ConversationNeed.Close;
            }
        }
        return ConversationNeed.Close;
    }

    /// <summary>A message abandoned half-way (RSET, a new EHLO, a refused chunk): its content and budget go back.</summary>
    private void DropContent()
    {
        _content?.Dispose();
        (_chunkReader, _content) = (null, null);
    }

    /// <summary>The session is over: whatever content it still held goes back (pool and budget).</summary>
    public void Dispose()
    {
        _content?.Dispose();
        _committing?.Dispose();
        (_content, _committing, _data, _chunkReader) = (null, null, null, null);
    }

    /// <summary>The outcome of storing <see cref="Message"/>: 250 with the queue id, or 451.</summary>
    public void Committed(SmtpReply reply)
    {
        Message = null;
        // The content is stored (or refused): its buffer goes back to the pool, its memory to the budget.
        _committing?.Dispose();
        _committing = null;
        if (!reply.IsPositive) _messageRefused(reply);
        _dialog.EndTransaction();
        Reply(reply);
    }

    /// <returns><see cref="ConversationNeed.VerifyRecipient"/> when the tunneled domain's recipient must be verified next.</returns>
    public ConversationNeed? DomainVerified(TunnelDomainVerdict verdict)
    {
        PendingDomain = null;
        var step = _dialog.DomainVerified(verdict);
        if (step.Effect == SessionEffect.VerifyRecipient) return ConversationNeed.VerifyRecipient;
        if (!step.Reply!.IsPositive) _recipientRefused(step.Reply, _dialog.Envelope?.Sender, null);
        Reply(step.Reply!);
        return null;
    }

    public void RecipientVerified(RecipientVerdict verdict)
    {
        var recipient = _dialog.PendingRecipient;
        var step = _dialog.RecipientVerified(verdict);
        if (!step.Reply!.IsPositive) _recipientRefused(step.Reply, _dialog.Envelope?.Sender, recipient);
        Reply(step.Reply!);
    }

    /// <summary>TLS is up: the dialog starts afresh (RFC 3207 §4.2) and so does line framing.</summary>
    public void TlsStarted()
    {
        _dialog.TlsStarted();
        _lines = NewLineReader();
    }

    private ConversationNeed? Apply(DialogStep step, SmtpCommand command)
    {
        if (step.Reply is { Code: >= 500 and <= 504 }) _errors++;
        // The mail log's NOQUEUE line (and metric) for a refused recipient; syntax errors are not refusals.
        if (command is RcptCommand rcpt && step.Reply is { IsPositive: false, Code: not (>= 500 and <= 504) } refusal)
            _recipientRefused(refusal, _dialog.Envelope?.Sender, rcpt.Recipient);
        switch (step.Effect)
        {
            case SessionEffect.BeginData:
                Reply(step.Reply!);
                _content = new PooledBufferWriter(4096, _budget);
                _data = new DataReader(_content, _limits.MaxMessageSize);
                return null;
            case SessionEffect.ReceiveChunk or SessionEffect.SkipChunk:
                var bdat = (BdatCommand)command;
                _inChunk = true;
                _chunkRemaining = bdat.Size;
                _chunkLast = bdat.Last;
                _chunkRefusal = step.Reply;
                if (step.Effect == SessionEffect.ReceiveChunk && _chunkReader is null)
                {
                    _content = new PooledBufferWriter(4096, _budget);
                    _chunkReader = new ChunkReader(_content, _limits.MaxMessageSize);
                }
                return null;
            case SessionEffect.VerifyDomain:
                PendingDomain = step.Domain;
                return ConversationNeed.VerifyDomain;
            case SessionEffect.VerifyRecipient:
                return ConversationNeed.VerifyRecipient;
            case SessionEffect.StartTls:
                Reply(step.Reply!);
                return ConversationNeed.StartTls;
            case SessionEffect.Close:
                CloseWith(step.Reply!);
                return ConversationNeed.Close;
            default:
                Reply(step.Reply!);
                return null;
        }
    }

    private ConversationNeed? EndOfData()
    {
        var data = _data!;
        var content = _content!;
        _data = null;
        _content = null;
        return Finish(data, content);
    }

    /// <summary>A chunk has been read whole: answer it, and after BDAT LAST finish the message (RFC 3030 §2).</summary>
    private ConversationNeed? EndOfChunk()
    {
        if (_chunkRefusal is { } refusal)
        {
            _chunkRefusal = null;
            Reply(refusal);
            return null;
        }
        var reader = _chunkReader!;
        if (_chunkLast)
        {
            reader.Finish();
            var content = _content!;
            _chunkReader = null;
            _content = null;
            return Finish(reader, content);
        }
        // Refuse as soon as the message cannot be taken, not only at LAST: the transaction ends
        // and the client's further BDATs get 503 (their octets still skipped).
        if (reader.TooBig || reader.Nul || reader.BareNewline || reader.LineTooLong)
        {
            DropContent();
            Refuse(MessageChecks.Refusal(reader, default, _limits.MaxMessageSize, int.MaxValue)!);
            return null;
        }
        Reply(SmtpReplies.ChunkReceived(reader.Size));
        return null;
    }

    private ConversationNeed? Finish(IMessageContent reader, PooledBufferWriter content)
    {
        // Too big or malformed comes first: that answer is permanent, the budget's is not.
        var refusal = MessageChecks.Refusal(reader, content.WrittenSpan, _limits.MaxMessageSize, _limits.MaxReceivedHeaders)
                      ?? (content.OutOfBudget ? SmtpReplies.InsufficientStorage : null);
        if (refusal is not null)
        {
            content.Dispose();
            Refuse(refusal);
            return null;
        }
        _committing = content;
        Message = new ReceivedMessage(_dialog.ClientName, Protocol, _dialog.Envelope!, _dialog.Recipients.ToList(), content.WrittenMemory);
        return ConversationNeed.Commit;
    }

    private void Refuse(SmtpReply reply)
    {
        _messageRefused(reply);
        _dialog.EndTransaction();
        Reply(reply);
    }

    /// <summary>The "with" word of our Received header (RFC 3848, RFC 6531 §3.7.3).</summary>
    private string Protocol => ReceivedProtocol.Of(_dialog.Extended, _dialog.Tls, _dialog.Envelope?.SmtpUtf8 == true);

    private CommandLineReader NewLineReader() => new(CommandLineLimits.Longest(_limits.MaxCommandLine));

    private void Error(SmtpReply reply)
    {
        _errors++;
        Reply(reply);
    }

    private void CloseWith(SmtpReply reply)
    {
        Closing = true;
        Reply(reply);
    }

    private void Reply(SmtpReply reply) => reply.WriteTo(_replies);
}
