using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;

namespace Tunnel.Cluster.Ingress;

/// <summary>
/// Accepts SMTP connections on the configured endpoints and starts one <see cref="SmtpSession"/>
/// per connection. The sockets are bound before the actor starts (<see cref="Bind"/>), so a
/// port in use stops the node at start-up with a clear message instead of a restarting actor.
/// </summary>
public sealed class SmtpListener : ReceiveActor
{
    /// <summary>Stop accepting new connections (graceful shutdown); sessions in progress go on.</summary>
    public sealed record StopAccepting;

    private sealed record Accepted(Socket Listener, Socket Connection);
    private sealed record AcceptFailed(Socket Listener, string Reason);

    private readonly IReadOnlyList<Socket> _listeners;
    private readonly IngressServices _services;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _sessions;

    public static Props Props(IReadOnlyList<Socket> listeners, IngressServices services) =>
        Akka.Actor.Props.Create(() => new SmtpListener(listeners, services));

    public SmtpListener(IReadOnlyList<Socket> listeners, IngressServices services)
    {
        _listeners = listeners;
        _services = services;

        Receive<Accepted>(accepted =>
        {
            accepted.Connection.NoDelay = true;
            Context.ActorOf(SmtpSession.Props(accepted.Connection, _services), $"session-{++_sessions}");
            AcceptNext(accepted.Listener);
        });
        Receive<AcceptFailed>(failed =>
        {
            // A closed listener (shutdown) ends its loop; anything else is logged and retried.
            if (failed.Listener.SafeHandle.IsClosed) return;
            _log.Warning("Accept on {0} failed: {1}", failed.Listener.LocalEndPoint, failed.Reason);
            AcceptNext(failed.Listener);
        });
        Receive<StopAccepting>(_ => CloseListeners());
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

    protected override void PreStart()
    {
        foreach (var listener in _listeners) AcceptNext(listener);
    }

    protected override void PostStop() => CloseListeners();

    private void AcceptNext(Socket listener)
    {
        if (listener.SafeHandle.IsClosed) return;
        listener.AcceptAsync().PipeTo(Self,
            success: connection => new Accepted(listener, connection),
            failure: e => new AcceptFailed(listener, e.Message));
    }

    private void CloseListeners()
    {
        foreach (var listener in _listeners) listener.Dispose();
    }
}
