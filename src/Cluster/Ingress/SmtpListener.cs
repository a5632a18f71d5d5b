using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Tunnel.Cluster.Ingress.Protocol;

namespace Tunnel.Cluster.Ingress;

/// <summary>
/// Accepts SMTP connections on the configured endpoints and starts one <see cref="SmtpSession"/>
/// per connection, within the connection limits (<see cref="ConnectionLimiter"/>): a connection
/// over a limit gets 421 4.7.0 and is closed without a session. The sockets are bound before the
/// actor starts (<see cref="Bind"/>), so a port in use stops the node at start-up with a clear
/// message instead of a restarting actor. On shutdown it drains: new connections get 421 4.3.2,
/// sessions finish the transaction they are in and close, and the shutdown waits for them
/// (bounded by <c>tunnel.smtp.drain-timeout</c>). While the node holds as much pending mail as it
/// may (<see cref="IngressLoad"/>), new connections get 421 4.3.2 too. It remembers the clients
/// that waited for the greeting (<see cref="GreetingPasses"/>), which their sessions report, and
/// greets those at once.
/// </summary>
public sealed class SmtpListener : ReceiveActor
{
    /// <summary>Graceful shutdown: refuse new connections, let sessions finish; answered with <see cref="Drained"/> when none is left.</summary>
    public sealed record StopAccepting;

    public sealed record Drained;

    /// <summary>From a session whose client was tested with the greeting delay: it waited (passed) or talked first.</summary>
    public sealed record GreetingTested(IPAddress Client, bool Passed);

    private sealed record Accepted(Socket Listener, Socket Connection);
    private sealed record AcceptFailed(Socket Listener, string Reason);

    private readonly IReadOnlyList<Socket> _listeners;
    private readonly IngressServices _services;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ConnectionLimiter _limiter;
    private readonly GreetingPasses _greetingPasses;
    private readonly Dictionary<IActorRef, IPAddress> _clients = [];
    private readonly List<IActorRef> _waitingForDrain = [];
    private bool _draining;
    private long _sessions;

    public static Props Props(IReadOnlyList<Socket> listeners, IngressServices services) =>
        Akka.Actor.Props.Create<SmtpListener>(listeners, services);

    public SmtpListener(IReadOnlyList<Socket> listeners, IngressServices services)
    {
        _listeners = listeners;
        _services = services;
        _limiter = new ConnectionLimiter(services.Settings.Limits.MaxConnections, services.Settings.Limits.MaxConnectionsPerClient);
        _greetingPasses = new GreetingPasses(services.Settings.GreetingPassTtl, services.Settings.GreetingPassMax);

        Receive<Accepted>(accepted =>
        {
            Admit(accepted.Connection);
            AcceptNext(accepted.Listener);
        });
        Receive<Terminated>(ended =>
        {
            if (!_clients.Remove(ended.ActorRef, out var client)) return;
            _limiter.Release(client);
            _services.MailLog.Metrics.SessionClosed();
            if (_draining && _clients.Count == 0) ReportDrained();
        });
        Receive<GreetingTested>(tested =>
        {
            if (tested.Passed) _greetingPasses.Passed(tested.Client, Context.System.Scheduler.Now);
            else _greetingPasses.TalkedEarly(tested.Client);
        });
        Receive<AcceptFailed>(failed =>
        {
            // A closed listener (shutdown) ends its loop; anything else is logged and retried.
            if (failed.Listener.SafeHandle.IsClosed) return;
            _log.Warning("Accept on {0} failed: {1}", failed.Listener.LocalEndPoint, failed.Reason);
            AcceptNext(failed.Listener);
        });
        Receive<StopAccepting>(_ =>
        {
            _draining = true;
            _waitingForDrain.Add(Sender);
            foreach (var session in _clients.Keys) session.Tell(new SmtpSession.Drain());
            if (_clients.Count == 0) ReportDrained();
        });
    }

    /// <summary>
    /// Binds and listens on every endpoint. An IPv6 endpoint is IPv6 only (IPV6_V6ONLY), so
    /// "0.0.0.0:2525" and "[::]:2525" are two sockets and IPv4 clients are never seen as
    /// IPv4-mapped IPv6 addresses. Throws with the endpoint's name when one cannot be bound.
    /// </summary>
    public static IReadOnlyList<Socket> Bind(IEnumerable<IPEndPoint> endpoints, int backlog = 1024)
    {
        var sockets = new List<Socket>();
        try
        {
            foreach (var endpoint in endpoints)
            {
                var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                if (endpoint.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = false;
                try
                {
                    socket.Bind(endpoint);
                    socket.Listen(backlog);
                }
                catch (SocketException e)
                {
                    throw new InvalidOperationException($"cannot listen for SMTP on {Format(endpoint)}: {e.SocketErrorCode} ({e.Message})", e);
                }
            }
            return sockets;
        }
        catch
        {
            foreach (var socket in sockets) socket.Dispose();
            throw;
        }
    }

    public static string Format(EndPoint endpoint) => endpoint is IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } v6
        ? $"[{v6.Address}]:{v6.Port}" : endpoint.ToString()!;

    /// <summary>
    /// A session that fails is stopped, never restarted: it owns a socket in the middle of a
    /// conversation that a fresh instance could not pick up. Stopping closes the connection;
    /// the client retries, and nothing half-received was stored.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void PreStart()
    {
        foreach (var listener in _listeners) AcceptNext(listener);
    }

    protected override void PostStop() => CloseListeners();

    private void Admit(Socket connection)
    {
        connection.NoDelay = true;
        IPAddress client;
        try { client = ((IPEndPoint)connection.RemoteEndPoint!).Address; }
        catch (SocketException) { connection.Dispose(); return; } // reset before we looked
        if (_draining || _services.Load.Overloaded)
        {
            var busy = _draining ? SmtpReplies.ShuttingDown(_services.Settings.Hostname) : SmtpReplies.Busy(_services.Settings.Hostname);
            _services.MailLog.Refused(client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client, busy.ToString());
            _ = RefuseAsync(connection, busy);
            return;
        }
        var admission = _limiter.TryAdmit(client);
        var family = Observability.RelayFamily.Of(client);
        if (admission != Admission.Admitted)
        {
            _services.MailLog.Metrics.ConnectionRefused(family);
            var hostname = _services.Settings.Hostname;
            var reply = admission == Admission.NodeFull
                ? SmtpReplies.TooManyConnections(hostname)
                : SmtpReplies.TooManyConnectionsFromClient(hostname);
            _services.MailLog.Refused(client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client, reply.ToString());
            _ = RefuseAsync(connection, reply);
            return;
        }
        var greetingDelay = _greetingPasses.Holds(client, Context.System.Scheduler.Now) ? TimeSpan.Zero : _services.Settings.Limits.GreetingDelay;
        var session = Context.ActorOf(SmtpSession.Props(connection, _services, greetingDelay), $"session-{++_sessions}");
        Context.Watch(session);
        _clients[session] = client;
        _services.MailLog.Metrics.SessionOpened(family);
    }

    /// <summary>421 and close (RFC 5321 §3.1 lets a server refuse a connection this way), bounded in time; no actor needed.</summary>
    private static async Task RefuseAsync(Socket connection, SmtpReply reply)
    {
        using var stream = new NetworkStream(connection, ownsSocket: true);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var text = new System.Text.StringBuilder();
            reply.WriteTo(text);
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(text.ToString()), deadline.Token);
            connection.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client is gone already.
        }
    }

    private void AcceptNext(Socket listener)
    {
        if (listener.SafeHandle.IsClosed) return;
        listener.AcceptAsync().PipeTo(Self,
            success: connection => new Accepted(listener, connection),
            failure: e => new AcceptFailed(listener, e.Message));
    }

    private void ReportDrained()
    {
        foreach (var waiting in _waitingForDrain) waiting.Tell(new Drained());
        _waitingForDrain.Clear();
    }

    private void CloseListeners()
    {
        foreach (var listener in _listeners) listener.Dispose();
    }
}
