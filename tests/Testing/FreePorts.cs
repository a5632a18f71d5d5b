using System.Net;
using System.Net.Sockets;

namespace Tunnel.Tests.Testing;

/// <summary>
/// Loopback ports for things a test starts that must know their port before they listen (a
/// cluster's seed address, a PostgreSQL server). The port is free when asked for; something else
/// may take it before it is used, which the tests' start-up waits then report.
/// </summary>
public static class FreePorts
{
    /// <summary>A TCP port on 127.0.0.1 that nothing listens on right now.</summary>
    public static int Next()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
