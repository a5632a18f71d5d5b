using System.Net;
using System.Net.Sockets;

namespace Tunnel.Cluster.Ingress;

/// <summary>Whether a new connection may have a session.</summary>
public enum Admission { Admitted, NodeFull, ClientFull }

/// <summary>
/// Counts the connections of one node (<c>tunnel.smtp.max-connections</c>) and of each client
/// (<c>tunnel.smtp.max-connections-per-client</c>), so that one client cannot take every
/// session. A client is its IPv4 address, or its IPv6 /64: one host usually owns a whole /64
/// and could otherwise take a fresh address per connection. Pure; the listener owns it.
/// </summary>
public sealed class ConnectionLimiter(int maxConnections, int maxPerClient)
{
    private readonly Dictionary<IPAddress, int> _perClient = [];

    public int Count { get; private set; }

    public Admission TryAdmit(IPAddress client)
    {
        var key = ClientKey(client);
        if (Count >= maxConnections) return Admission.NodeFull;
        var current = _perClient.GetValueOrDefault(key);
        if (current >= maxPerClient) return Admission.ClientFull;
        _perClient[key] = current + 1;
        Count++;
        return Admission.Admitted;
    }

    /// <summary>One admitted connection of <paramref name="client"/> has ended.</summary>
    public void Release(IPAddress client)
    {
        var key = ClientKey(client);
        if (!_perClient.TryGetValue(key, out var current)) return;
        if (current <= 1) _perClient.Remove(key);
        else _perClient[key] = current - 1;
        Count--;
    }

    public static IPAddress ClientKey(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address;
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes);
    }
}
