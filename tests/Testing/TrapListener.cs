using System.Net;
using System.Net.Sockets;

namespace Tunnel.Tests.Testing;

/// <summary>
/// Accepts and at once closes every connection, counting them. Put one where nothing should ever connect
/// (e.g. the relay's own address) and assert that <see cref="ConnectionCount"/> stays 0.
/// </summary>
public sealed class TrapListener : IDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private int _connectionCount;

    private TrapListener(IPEndPoint endPoint)
    {
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            _listener.DualMode = false; // trap exactly the address asked for, not its IPv4 twin
        try
        {
            _listener.Bind(endPoint);
            _listener.Listen(128);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _ = AcceptLoopAsync(); // ends by itself once disposed, and swallows that ending
    }

    /// <summary>Listens on <paramref name="endPoint"/>; port 0 picks a free port, see <see cref="EndPoint"/>.</summary>
    public static TrapListener Start(IPEndPoint endPoint) => new(endPoint);

    public IPEndPoint EndPoint { get; }

    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var connection = await _listener.AcceptAsync(_stop.Token);
                Interlocked.Increment(ref _connectionCount);
            }
            catch (SocketException) when (!_stop.IsCancellationRequested)
            {
                // A client that gave up before accept completed: keep trapping.
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return; // disposed
            }
        }
    }
}
