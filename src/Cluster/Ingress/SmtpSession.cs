using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.Event;
using Tunnel.Cluster.Ingress.Protocol;

namespace Tunnel.Cluster.Ingress;

/// <summary>
/// One SMTP connection (one actor each). It owns the socket, the buffers and the timeouts;
/// framing, parsing and the command sequence are pure code (<see cref="CommandLineReader"/>,
/// <see cref="SmtpCommandParser"/>, <see cref="SmtpDialog"/>, <see cref="DataReader"/>), and
/// making a message durable is <see cref="MessageIntake"/>'s job. One read is outstanding at a
/// time, so a fast client cannot fill our memory; replies to pipelined commands are collected
/// and written when the input runs dry (RFC 2920 §3.2).
/// </summary>
public sealed class SmtpSession : ReceiveActor
{
    private sealed record Start;
    private sealed record ReadCompleted(int Count);
    private sealed record ReadFailed(string Reason);

    private const int ReadSize = 16 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly IngressServices _services;
    private readonly IngressSettings _settings;
    private readonly IPAddress _client;
    private readonly SmtpDialog _dialog;
    private readonly CommandLineReader _lines;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly StringBuilder _replies = new();
    private readonly byte[] _readBuffer = new byte[ReadSize];
    private byte[] _pending = new byte[ReadSize];
    private int _pendingStart;
    private int _pendingEnd;
    private ArrayBufferWriter<byte>? _content;
    private DataReader? _data;
    private int _errors;
    private bool _closing;

    public static Props Props(Socket socket, IngressServices services) =>
        Akka.Actor.Props.Create(() => new SmtpSession(socket, services));

    public SmtpSession(Socket socket, IngressServices services)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _services = services;
        _settings = services.Settings;
        _client = ((IPEndPoint)socket.RemoteEndPoint!).Address;
        if (_client.IsIPv4MappedToIPv6) _client = _client.MapToIPv4();
        _dialog = new SmtpDialog(new DialogOptions(_settings.Hostname, _settings.MaxMessageSize, _settings.MaxRecipients),
            services.Relay, _client);
        _lines = new CommandLineReader(_settings.MaxCommandLine);

        ReceiveAsync<Start>(_ =>
        {
            Reply(SmtpReplies.Greeting(_settings.Hostname));
            return FlushAndReadAsync();
        });
        ReceiveAsync<ReadCompleted>(OnRead);
        Receive<ReadFailed>(_ => Context.Stop(Self));
        ReceiveAsync<ReceiveTimeout>(_ => CloseWithAsync(SmtpReplies.Timeout(_settings.Hostname)));
    }

    protected override void PreStart() => Self.Tell(new Start());

    protected override void PostStop() => _stream.Dispose();

    private async Task OnRead(ReadCompleted read)
    {
        if (read.Count == 0)
        {
            // The client went away. Half a message (an abrupt end in DATA) is simply dropped:
            // nothing was spooled or queued for it.
            Context.Stop(Self);
            return;
        }
        Append(_readBuffer.AsSpan(0, read.Count));
        await ProcessAsync();
        await FlushAndReadAsync(); // flushes the replies, then reads on or, after QUIT, stops
    }

    /// <summary>Works through every complete command or data block in the input.</summary>
    private async Task ProcessAsync()
    {
        while (_pendingEnd > _pendingStart && !_closing)
        {
            var input = _pending.AsSpan(_pendingStart, _pendingEnd - _pendingStart);
            if (_data is not null)
            {
                _pendingStart += _data.Feed(input);
                if (!_data.Complete) return;
                await EndOfDataAsync();
                continue;
            }

            var status = _lines.Read(input, out var length, out var consumed);
            var line = status == CommandLineReader.Status.Line ? Encoding.UTF8.GetString(input[..length]) : null;
            _pendingStart += consumed;
            switch (status)
            {
                case CommandLineReader.Status.NeedMore:
                    return;
                case CommandLineReader.Status.BareNewline:
                    Error(SmtpReplies.BareLineFeed);
                    break;
                case CommandLineReader.Status.TooLong:
                    Error(SmtpReplies.LineTooLong);
                    break;
                case CommandLineReader.Status.Line:
                    Command(line!);
                    break;
            }
            if (_errors > _settings.MaxErrors) await CloseWithAsync(SmtpReplies.TooManyErrors(_settings.Hostname));
        }
    }

    private void Command(string line)
    {
        var step = _dialog.Handle(SmtpCommandParser.Parse(line));
        if (step.Reply.Code is >= 500 and <= 504) _errors++;
        Reply(step.Reply);
        switch (step.Effect)
        {
            case SessionEffect.BeginData:
                _content = new ArrayBufferWriter<byte>(4096);
                _data = new DataReader(_content, _settings.MaxMessageSize);
                SetReceiveTimeout(_settings.DataTimeout);
                break;
            case SessionEffect.Close:
                _closing = true;
                break;
        }
    }

    private async Task EndOfDataAsync()
    {
        var data = _data!;
        var content = _content!;
        _data = null;
        _content = null;
        SetReceiveTimeout(_settings.CommandTimeout);

        SmtpReply reply;
        if (data.TooBig) reply = SmtpReplies.MessageTooBig(_settings.MaxMessageSize);
        else if (data.BareNewline) reply = SmtpReplies.BareLineFeedInData;
        else if (data.LineTooLong) reply = SmtpReplies.DataLineTooLong;
        else
        {
            await FlushAsync(); // replies pipelined before DATA are not held while we store
            reply = await _services.Intake.CommitAsync(new IncomingMessage(_client, _dialog.ClientName, _dialog.Extended,
                _dialog.Envelope!, _dialog.Recipients.ToList(), content.WrittenMemory));
        }
        if (!reply.IsPositive) _services.MailLog.Refused(_client, reply.ToString());
        _dialog.EndTransaction();
        Reply(reply);
    }

    private void Error(SmtpReply reply)
    {
        _errors++;
        Reply(reply);
    }

    private void Reply(SmtpReply reply) => reply.WriteTo(_replies);

    private async Task CloseWithAsync(SmtpReply reply)
    {
        _closing = true;
        Reply(reply);
        try { await FlushAsync(); }
        catch (IOException) { /* the client is gone already */ }
        Context.Stop(Self);
    }

    private async Task FlushAndReadAsync()
    {
        SetReceiveTimeout(_data is null ? _settings.CommandTimeout : _settings.DataTimeout);
        try
        {
            await FlushAsync();
        }
        catch (IOException e)
        {
            Self.Tell(new ReadFailed(e.Message));
            return;
        }
        if (_closing)
        {
            Context.Stop(Self);
            return;
        }
        _ = _stream.ReadAsync(_readBuffer, 0, _readBuffer.Length)
            .PipeTo(Self, success: n => new ReadCompleted(n), failure: e => new ReadFailed(e.Message));
    }

    private async Task FlushAsync()
    {
        if (_replies.Length == 0) return;
        var bytes = Encoding.UTF8.GetBytes(_replies.ToString());
        _replies.Clear();
        await _stream.WriteAsync(bytes);
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_pendingStart == _pendingEnd) _pendingStart = _pendingEnd = 0;
        if (_pendingEnd + bytes.Length > _pending.Length)
        {
            var live = _pendingEnd - _pendingStart;
            var target = live + bytes.Length > _pending.Length ? new byte[Math.Max(_pending.Length * 2, live + bytes.Length)] : _pending;
            Array.Copy(_pending, _pendingStart, target, 0, live);
            _pending = target;
            _pendingStart = 0;
            _pendingEnd = live;
        }
        bytes.CopyTo(_pending.AsSpan(_pendingEnd));
        _pendingEnd += bytes.Length;
    }
}
