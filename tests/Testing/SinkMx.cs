using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tunnel.Tests.Testing;

/// <summary>
/// A small SMTP receiver written from scratch (no Tunnel code) that plays the real next-hop MX in tests.
/// What it does with a recipient depends on the local part's prefix:
/// <c>tempfail…@</c> → RCPT 451 4.2.0, <c>permfail…@</c> → RCPT 550 5.1.1, <c>hang…@</c> → no reply until disposed,
/// <c>drop…@</c> → connection closed at RCPT; <c>nodata…@</c> → RCPT 250, but DATA gets 554 without 354;
/// <c>baddata…@</c> → RCPT 250, but the end of the data gets 554; anything else → 250. After either refusal the
/// transaction stays open, as some servers keep it: the next MAIL gets 503 (nested MAIL) unless RSET came first.
/// A sender whose local part starts with <c>refused</c> gets MAIL 550 5.7.1. A message is recorded only with the
/// accepted recipients. <see cref="DataReplyDelay"/> makes it a slow server: it sits on the end of DATA before
/// answering; <see cref="HoldReplies"/> holds those replies until the test releases them. With a <see cref="Certificate"/>
/// it offers STARTTLS (RFC 3207); <see cref="Tls"/> can make its handshake fail instead.
/// </summary>
public sealed class SinkMx : IAsyncDisposable
{
    private static readonly TimeSpan DisposeTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly List<ReceivedMail> _messages = [];
    private readonly List<IPEndPoint> _clients = [];
    private readonly List<Task> _sessions = [];
    private TaskCompletionSource _messageArrived = NewSignal();
    private Task _acceptLoop = Task.CompletedTask;
    private TaskCompletionSource _repliesReleased = NewSignal();
    private bool _holdingReplies;
    private int _listening;
    private int _heldReplies;
    private int _mostHeldAtOnce;
    private int _openConnections;
    private int _mostConnectionsAtOnce;
    private int _resets;
    private int _disposed;

    private SinkMx(IPEndPoint endPoint)
    {
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            _listener.DualMode = false; // an IPv6 sink must not quietly accept IPv4 clients too
        try
        {
            _listener.Bind(endPoint);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    /// <summary>Listens on a free port of <paramref name="address"/>, or on <paramref name="port"/> when given.</summary>
    public static SinkMx Start(IPAddress address, int port = 0) => Start(new IPEndPoint(address, port));

    /// <summary>
    /// Reserves a port without listening, so connections to <see cref="EndPoint"/> are refused until
    /// <see cref="Listen"/> is called: a next hop that is down and later comes back on the same address.
    /// </summary>
    public static SinkMx BindOnly(IPAddress address, int port = 0) => BindOnly(new IPEndPoint(address, port));

    /// <summary>Like <see cref="BindOnly(IPAddress, int)"/>, on a given endpoint.</summary>
    public static SinkMx BindOnly(IPEndPoint endPoint) => new(endPoint);

    /// <summary>
    /// Listens on a given endpoint: next hops all share the tunnel's one outbound port, so the
    /// sinks of several test domains sit on different addresses with the same port.
    /// </summary>
    public static SinkMx Start(IPEndPoint endPoint)
    {
        var sink = new SinkMx(endPoint);
        sink.Listen();
        return sink;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>
    /// True: every connection is accepted (and counted in <see cref="ConnectionCount"/>) and closed
    /// at once, before the greeting, as a server that is down behind a listening port does; no
    /// server of the destination answers. Read at each connection, so a test can bring it back.
    /// </summary>
    public bool HangUpAtConnect
    {
        get => Volatile.Read(ref _hangUpAtConnect);
        set => Volatile.Write(ref _hangUpAtConnect, value);
    }
    private bool _hangUpAtConnect;

    /// <summary>What the sink does with a connection after each message (as a server whose idle timeout is shorter than the client's cache).</summary>
    public SinkHangUp HangUp { get; set; } = SinkHangUp.Never;

    /// <summary>
    /// How long the sink waits after a message's final "." before it takes the message and answers
    /// 250 (a slow or loaded server), so that deliveries are in flight for that long. A client that
    /// hangs up meanwhile gets nothing and the message is not recorded: it was never accepted.
    /// Read at each message; zero (the default) answers at once.
    /// </summary>
    public TimeSpan DataReplyDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Messages whose data has been read and whose reply is being held back (<see cref="DataReplyDelay"/>): deliveries in flight.</summary>
    public int HeldReplies => Volatile.Read(ref _heldReplies);

    /// <summary>The most replies held back at one time: how many deliveries were in flight here at once.</summary>
    public int MostHeldAtOnce => Volatile.Read(ref _mostHeldAtOnce);

    /// <summary>
    /// From now on the reply to each message's data waits until <see cref="ReleaseReplies"/>: the
    /// deliveries stay in flight (their client holds the connection and the message) for as long
    /// as the test wants, without a guessed delay.
    /// </summary>
    public void HoldReplies()
    {
        lock (_gate) _holdingReplies = true;
    }

    /// <summary>Answers every held reply and stops holding new ones.</summary>
    public void ReleaseReplies()
    {
        TaskCompletionSource released;
        lock (_gate)
        {
            _holdingReplies = false;
            released = _repliesReleased;
            _repliesReleased = NewSignal();
        }
        released.TrySetResult();
    }

    /// <summary>Connections open right now: accepted, and neither closed by either side nor ended with QUIT.</summary>
    public int OpenConnections => Volatile.Read(ref _openConnections);

    /// <summary>The most connections that were open at one time: this address's concurrency as the server saw it.</summary>
    public int MostConnectionsAtOnce => Volatile.Read(ref _mostConnectionsAtOnce);

    /// <summary>RSET commands received, on every connection.</summary>
    public int Resets => Volatile.Read(ref _resets);

    /// <summary>The reply to RSET; anything but 250 is a server that cannot reset its state (the client must hang up).</summary>
    public string ResetReply { get; set; } = "250 2.0.0 Ok";

    /// <summary>
    /// The certificate (with its key) STARTTLS uses; when set, EHLO offers STARTTLS (RFC 3207).
    /// Null (the default): no STARTTLS, unless <see cref="Tls"/> makes the handshake fail.
    /// </summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; set; }

    /// <summary>How STARTTLS goes; see <see cref="SinkTls"/>.</summary>
    public SinkTls Tls { get; set; } = SinkTls.Normal;

    internal bool OffersStartTls => Certificate is not null || Tls == SinkTls.FailHandshake;

    /// <summary>Handshakes that the client broke off (it refused the certificate, say).</summary>
    public int FailedHandshakes => Volatile.Read(ref _failedHandshakes);
    private int _failedHandshakes;

    internal void CountFailedHandshake() => Interlocked.Increment(ref _failedHandshakes);

    /// <summary>Makes the sink answer <c>503</c> where it should not, on a connection that carried a transaction before.</summary>
    public SinkSequenceError SequenceError { get; set; } = SinkSequenceError.Never;

    public IReadOnlyList<ReceivedMail> Messages
    {
        get { lock (_gate) return _messages.ToArray(); }
    }

    public int ConnectionCount
    {
        get { lock (_gate) return _clients.Count; }
    }

    /// <summary>The remote end of every accepted connection, in accept order.</summary>
    public IReadOnlyList<IPEndPoint> Clients
    {
        get { lock (_gate) return _clients.ToArray(); }
    }

    public void Listen()
    {
        if (Interlocked.Exchange(ref _listening, 1) != 0)
            throw new InvalidOperationException($"SinkMx on {EndPoint} is already listening.");
        _listener.Listen(512);
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Waits until at least <paramref name="count"/> messages have arrived and returns them all.</summary>
    public async Task<IReadOnlyList<ReceivedMail>> WaitForMessagesAsync(int count, TimeSpan timeout)
    {
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            Task arrived;
            lock (_gate)
            {
                if (_messages.Count >= count)
                    return _messages.ToArray();
                arrived = _messageArrived.Task;
            }

            try
            {
                var remaining = timeout - elapsed.Elapsed;
                await arrived.WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException(
                    $"SinkMx on {EndPoint} expected {count} message(s) within {timeout.TotalSeconds:0.###} s, " +
                    $"but {Messages.Count} arrived over {ConnectionCount} connection(s).");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;

        // Cancelling ends every pending accept, read, write and "hang"; sessions then close their sockets.
        _stop.Cancel();
        _listener.Dispose();
        await _acceptLoop.WaitAsync(DisposeTimeout);

        Task[] sessions;
        lock (_gate)
            sessions = _sessions.ToArray();
        // A session that faulted with an unexpected exception is a bug in the sink: surface it here.
        await Task.WhenAll(sessions).WaitAsync(DisposeTimeout);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (SocketException) when (!_stop.IsCancellationRequested)
            {
                continue; // a client that reset before we accepted it
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return; // disposed
            }

            var client = (IPEndPoint)socket.RemoteEndPoint!;
            // Replies to pipelined commands go out one send each; with Nagle's algorithm the second
            // waits for the ACK of the first, which the client delays (40 ms on Linux): a stall per
            // transaction that capped bench --calibrate at ~1,000 messages/s over 50 connections.
            socket.NoDelay = true;
            lock (_gate)
            {
                _clients.Add(client);
                if (HangUpAtConnect)
                {
                    Close(socket);
                    continue;
                }
                // Task.Run: one slow or hung conversation must not hold up accepting the next connection.
                _sessions.Add(Task.Run(() => RunSessionAsync(socket, client)));
            }
        }
    }

    private async Task RunSessionAsync(Socket socket, IPEndPoint client)
    {
        var open = Interlocked.Increment(ref _openConnections);
        RaiseTo(ref _mostConnectionsAtOnce, open);
        var session = new SinkMxSession(socket, client, this, _stop.Token);
        try
        {
            await session.RunAsync();
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException
                                      or SocketException or IOException or InvalidDataException)
        {
            // The client went away (a reset reaches the stream-based reader as an IOException), sent
            // an over-long line, or the sink is stopping: just hang up.
        }
        finally
        {
            Close(socket);
            session.Ended();
        }
    }

    /// <summary>Waits <see cref="DataReplyDelay"/> or until <see cref="ReleaseReplies"/>, if either applies; true when it did.</summary>
    internal async Task<bool> HoldReplyAsync()
    {
        var delay = DataReplyDelay;
        Task? released;
        lock (_gate) released = _holdingReplies ? _repliesReleased.Task : null;
        if (delay <= TimeSpan.Zero && released is null) return false;
        RaiseTo(ref _mostHeldAtOnce, Interlocked.Increment(ref _heldReplies));
        try
        {
            if (released is not null) await released.WaitAsync(_stop.Token);
            if (delay > TimeSpan.Zero) await Task.Delay(delay, _stop.Token);
            return true;
        }
        finally
        {
            Interlocked.Decrement(ref _heldReplies);
        }
    }

    internal void CountReset() => Interlocked.Increment(ref _resets);

    internal void ConnectionEnded() => Interlocked.Decrement(ref _openConnections);

    private static void RaiseTo(ref int most, int value)
    {
        for (var seen = Volatile.Read(ref most); value > seen; seen = Volatile.Read(ref most))
            if (Interlocked.CompareExchange(ref most, value, seen) == seen) return;
    }

    internal void Deliver(ReceivedMail mail)
    {
        TaskCompletionSource arrived;
        lock (_gate)
        {
            _messages.Add(mail);
            arrived = _messageArrived;
            _messageArrived = NewSignal();
        }
        arrived.TrySetResult();
    }

    private static void Close(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both); // FIN rather than RST, like a server hanging up politely
        }
        catch (SocketException)
        {
            // Already reset by the client.
        }
        socket.Dispose();
    }

    // Continuations run asynchronously so a waiter never runs inside the session that delivered.
    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Where a <see cref="SinkMx"/> answers 503 (bad sequence of commands) out of turn.</summary>
public enum SinkSequenceError
{
    Never,
    /// <summary>MAIL of every transaction after a connection's first.</summary>
    AtMailOnReuse,
    /// <summary>RCPT of every transaction after a connection's first.</summary>
    AtRcptOnReuse,
}

/// <summary>How a <see cref="SinkMx"/> answers STARTTLS.</summary>
public enum SinkTls
{
    /// <summary>With <see cref="SinkMx.Certificate"/>, a real TLS handshake.</summary>
    Normal,
    /// <summary>Offers STARTTLS and says 220, then sends bytes that are no TLS and hangs up: a handshake that fails.</summary>
    FailHandshake,
}

/// <summary>How a <see cref="SinkMx"/> ends a connection after a message.</summary>
public enum SinkHangUp
{
    /// <summary>Keeps it open for the next transaction.</summary>
    Never,
    /// <summary>Closes it without a word.</summary>
    Silently,
    /// <summary>Says <c>421</c> unasked, then closes it (RFC 5321 §3.8).</summary>
    With421,
}
