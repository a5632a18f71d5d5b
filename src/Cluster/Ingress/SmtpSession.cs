using System.Diagnostics;
using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Cluster.Observability;

namespace Tunnel.Cluster.Ingress;

/// <summary>
/// One SMTP connection (one actor each). It owns the socket, the buffers and the time: the
/// greeting delay (an early talker is refused; the listener chooses the delay, zero for a client
/// that passed before, and is told the verdict), the command and data timeouts (RFC 5321
/// §4.5.3.2). Everything the protocol decides is <see cref="SmtpConversation"/>'s (pure code);
/// making a message durable is <see cref="MessageIntake"/>'s, the DNS verdict on a domain
/// <see cref="TunnelDomainVerifier"/>'s, the handshake <see cref="TlsUpgrade"/>'s. One read is
/// outstanding at a time, so a fast client cannot fill our memory; replies to pipelined
/// commands are collected and written when the input runs dry (RFC 2920 §3.2).
/// </summary>
public sealed class SmtpSession : ReceiveActor, IWithTimers
{
    /// <summary>The node is shutting down: finish the transaction in progress, then close with 421 4.3.2.</summary>
    public sealed record Drain;

    private sealed record GreetingDue;
    private sealed record ReadCompleted(byte[] Buffer, int Count);
    private sealed record ReadFailed(string Reason);

    private const int ReadSize = 16 * 1024;

    private readonly IngressServices _services;
    private readonly SessionLimits _limits;
    private readonly IPAddress _client;
    private readonly TimeSpan _greetingDelay;
    private readonly SmtpConversation _conversation;
    private readonly InputBuffer _input = new(ReadSize);
    private Stream _stream;
    private bool _greeted;
    private bool _draining;
    private bool _counted; // this session's transaction is counted in the node's IngressLoad

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(Socket socket, IngressServices services, TimeSpan greetingDelay) =>
        Akka.Actor.Props.Create<SmtpSession>(socket, services, greetingDelay);

    public SmtpSession(Socket socket, IngressServices services, TimeSpan greetingDelay)
    {
        _greetingDelay = greetingDelay;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _services = services;
        _limits = services.Settings.Limits;
        _client = ((IPEndPoint)socket.RemoteEndPoint!).Address;
        if (_client.IsIPv4MappedToIPv6) _client = _client.MapToIPv4();
        _conversation = new SmtpConversation(services.Settings.Hostname, _limits, services.Relay, _client,
            tlsOffered: services.Certificates is not null,
            messageRefused: reply => services.MailLog.Refused(_client, reply.ToString()),
            recipientRefused: (reply, from, to) => services.MailLog.RecipientRefused(_client, reply.ToString(), from, to),
            budget: services.Content, verification: services.Settings.Relay.Verification);

        ReceiveAsync<GreetingDue>(_ => GreetAsync());
        ReceiveAsync<Drain>(_ =>
        {
            _draining = true;
            // Mid-transaction the message is finished first (RunAsync closes after its reply);
            // otherwise there is nothing to lose by saying goodbye now.
            if (_conversation.InTransaction) return Task.CompletedTask;
            _conversation.ShuttingDown();
            return CloseAsync();
        });
        ReceiveAsync<ReadCompleted>(OnReadAsync);
        Receive<ReadFailed>(_ => Context.Stop(Self));
        ReceiveAsync<ReceiveTimeout>(_ =>
        {
            _conversation.TimedOut();
            return CloseAsync();
        });
    }

    protected override void PreStart()
    {
        // The first read starts at once: bytes that arrive before the greeting are an early talker.
        // Without a delay the greeting is queued first, so nothing can count as talking early.
        if (_greetingDelay > TimeSpan.Zero) Timers.StartSingleTimer("greeting", new GreetingDue(), _greetingDelay);
        else Self.Tell(new GreetingDue());
        Read();
    }

    protected override void PostStop()
    {
        CountTransaction(false);
        _conversation.Dispose(); // a message cut off half-way gives its memory back
        _stream.Dispose();
    }

    /// <summary>Keeps the node's <see cref="IngressLoad"/> in step with this session's transaction.</summary>
    private void CountTransaction(bool inTransaction)
    {
        if (inTransaction == _counted) return;
        _counted = inTransaction;
        if (inTransaction) _services.Load.Entered(_client);
        else _services.Load.Left(_client);
    }

    private async Task GreetAsync()
    {
        _greeted = true;
        // Told before the greeting is written, so the client's next connection finds its pass.
        if (_greetingDelay > TimeSpan.Zero) Context.Parent.Tell(new SmtpListener.GreetingTested(_client, Passed: true));
        _conversation.Greet();
        if (!await FlushAsync()) Context.Stop(Self);
    }

    private async Task OnReadAsync(ReadCompleted read)
    {
        _input.Append(read.Buffer.AsSpan(0, read.Count));
        ArrayPool<byte>.Shared.Return(read.Buffer);
        if (read.Count == 0)
        {
            // The client went away. Half a message (an abrupt end in DATA or BDAT) is simply
            // dropped: nothing was spooled or queued for it.
            Context.Stop(Self);
            return;
        }
        if (!_greeted)
        {
            // RFC 5321 §4.3.1: the client waits for the greeting. One that talks first is a
            // spam engine not listening, or is probing for smuggling; it gets 554 and is gone.
            Timers.Cancel("greeting");
            Context.Parent.Tell(new SmtpListener.GreetingTested(_client, Passed: false));
            _conversation.RefuseEarlyTalker();
            _services.MailLog.Refused(_client, SmtpReplies.EarlyTalker(_services.Settings.Hostname).ToString());
            await CloseAsync();
            return;
        }
        await RunAsync();
    }

    /// <summary>Lets the conversation work through the input, doing what it asks for, until it needs more bytes.</summary>
    private async Task RunAsync()
    {
        while (true)
        {
            _conversation.Overloaded = _services.Load.Overloaded;
            // Before this session's own transaction is counted: only its other ones weigh.
            _conversation.ClientOverloaded = !_counted && _services.Load.ClientOverloaded(_client);
            _conversation.ContentRoom = _services.Content.Available;
            var need = _conversation.Process(_input.Unread, out var consumed);
            _input.Consume(consumed);
            CountTransaction(_conversation.InTransaction);
            if (_draining && !_conversation.InTransaction && need != ConversationNeed.Close)
            {
                _conversation.ShuttingDown(); // the transaction that held the drain is done
                need = ConversationNeed.Close;
            }
            switch (need)
            {
                case ConversationNeed.Input:
                    if (await FlushAsync()) Read();
                    else Context.Stop(Self);
                    return;
                case ConversationNeed.Commit:
                    var dataEnd = Stopwatch.GetTimestamp();
                    if (!await FlushAsync()) { Context.Stop(Self); return; } // replies before the data are not held while we store
                    var message = _conversation.Message!;
                    _conversation.Committed(await _services.Intake.CommitAsync(new IncomingMessage(_client, message.ClientName,
                        message.Protocol, message.Envelope, message.Recipients, message.Content) { DataEnd = dataEnd }));
                    CountTransaction(_conversation.InTransaction);
                    break;
                case ConversationNeed.VerifyDomain:
                    var verifier = _services.Verifier ?? throw new InvalidOperationException("verify-mx is off but a domain needs verifying");
                    if (_conversation.DomainVerified(await verifier.VerifyAsync(_conversation.PendingDomain!)) is ConversationNeed.VerifyRecipient)
                        await VerifyRecipientAsync();
                    break;
                case ConversationNeed.VerifyRecipient:
                    await VerifyRecipientAsync();
                    break;
                case ConversationNeed.StartTls:
                    await StartTlsAsync();
                    return;
                case ConversationNeed.Close:
                    await CloseAsync();
                    return;
            }
        }
    }

    private async Task VerifyRecipientAsync()
    {
        var verifier = _services.RecipientVerifier ?? throw new InvalidOperationException("verify-recipients is off but a recipient needs verifying");
        _conversation.RecipientVerified(await verifier.VerifyAsync(_conversation.PendingRecipient!));
    }

    private async Task StartTlsAsync()
    {
        if (!await FlushAsync()) { Context.Stop(Self); return; }
        // RFC 3207 §4.2 and CVE-2011-0411: whatever the client pipelined after STARTTLS came in
        // the clear and must not be executed inside TLS.
        _input.Clear();
        var metrics = _services.MailLog.Metrics;
        var chosen = TunnelMetrics.NoCertificate; // until the ClientHello is read
        try
        {
            _stream = await TlsUpgrade.AuthenticateAsync(_stream, _services.Certificates!, _limits.CommandTimeout, label => chosen = label);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
        {
            metrics.TlsHandshakeFailed(chosen);
            // Postfix's "SSL_accept error from …": with the certificate offered, since a sender
            // refusing it is the usual reason (a tunneled host without its certificate).
            _services.MailLog.Disconnected(_client, $"STARTTLS handshake failed, certificate {chosen} offered: {e.Message}");
            Context.Stop(Self); // a failed handshake leaves no usable channel to say so on
            return;
        }
        metrics.TlsHandshake(chosen);
        _conversation.TlsStarted();
        Read();
    }

    private async Task CloseAsync()
    {
        await FlushAsync();
        Context.Stop(Self);
    }

    private void Read()
    {
        SetReceiveTimeout(_conversation.Phase == ConversationPhase.Data ? _limits.DataTimeout : _limits.CommandTimeout);
        ReadAsync(_stream).PipeTo(Self, failure: e => new ReadFailed(e.Message));
    }

    /// <summary>
    /// Waits for data with a zero-byte read, which holds no buffer (most sessions wait most of the
    /// time), and only then reads into a pooled buffer that <see cref="OnReadAsync"/> gives back.
    /// Runs outside the actor: it touches nothing but the stream it is given.
    /// </summary>
    private static async Task<ReadCompleted> ReadAsync(Stream stream)
    {
#pragma warning disable CA2022 // a zero-byte read returns 0 by design: it only waits until data is there
        await stream.ReadAsync(Memory<byte>.Empty);
#pragma warning restore CA2022
        var buffer = ArrayPool<byte>.Shared.Rent(ReadSize);
        try
        {
            return new ReadCompleted(buffer, await stream.ReadAsync(buffer.AsMemory(0, ReadSize)));
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>
    /// Writes the collected replies; false when the client is gone or does not take them. A
    /// client that sends and never reads fills the socket's buffers until our write waits; while
    /// it waits no read is outstanding and the receive timeout cannot fire, so the write has the
    /// command timeout of its own (RFC 5321 §4.5.3.2.7; Postfix's smtpd_timeout covers writes too).
    /// </summary>
    private async Task<bool> FlushAsync()
    {
        if (!_conversation.HasReplies) return true;
        using var timeout = new CancellationTokenSource(_limits.CommandTimeout);
        try
        {
            await _stream.WriteAsync(_conversation.TakeReplies(), timeout.Token);
            return true;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            _services.MailLog.Disconnected(_client, $"write timeout: the client did not read our replies for {_limits.CommandTimeout.TotalSeconds:0} s");
            return false;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return false;
        }
    }
}
