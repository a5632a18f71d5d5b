using System.Net;

namespace Tunnel.Cluster.Outbound;

/// <summary>
/// The outbound connections this node may have open: at most <c>perAddress</c> to one next-hop IP
/// address (<c>tunnel.outbound.connections-per-address</c>, Postfix's destination concurrency, per
/// address because many domains share one provider's servers) and <c>total</c> in all
/// (<c>tunnel.outbound.max-connections</c>). A slot is held from before the TCP connect until the
/// connection is closed, idle time in the cache included. First fit: a delivery waiting for a
/// busy address does not hold up deliveries to other addresses. The per-address limit can change
/// while connections are open (<see cref="SetPerAddress"/>: this node's share of a cluster-wide
/// limit): lowered, no connection is closed, new ones wait until the count is under it; raised,
/// waiters come in at once. Thread-safe.
/// </summary>
public sealed class ConnectionSlots(int total, int perAddress) : FifoLimiter<IPAddress>
{
    private readonly Dictionary<IPAddress, int> _open = new();
    private int _total;
    private int _perAddress = perAddress;
    private string _perAddressKey = "tunnel.outbound.connections-per-address";

    public int Total => total;

    public int PerAddress
    {
        get { lock (Gate) return _perAddress; }
    }

    /// <summary>A new per-address limit, and the setting it comes from (for the deferral's reason).</summary>
    public void SetPerAddress(int limit, string why)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        bool raised;
        lock (Gate)
        {
            raised = limit > _perAddress;
            _perAddress = limit;
            _perAddressKey = why;
        }
        if (raised) AdmitWaiting();
    }

    /// <summary>Connections open (or being opened) right now.</summary>
    public int Open
    {
        get { lock (Gate) return _total; }
    }

    public int OpenTo(IPAddress address)
    {
        lock (Gate) return Count(address);
    }

    /// <summary>
    /// Whether a delivery is waiting that closing a connection to <paramref name="address"/>
    /// would let in: then an idle connection is closed rather than cached.
    /// </summary>
    public bool Wanted(IPAddress address) => WouldAdmitAfter(address);

    /// <summary>Which limit keeps a new connection to <paramref name="address"/> out, for the deferral's reason.</summary>
    public string Why(IPAddress address)
    {
        lock (Gate)
            return Count(address) >= _perAddress
                ? $"{_perAddress} connections to {address} are open already ({_perAddressKey})"
                : $"{total} outbound connections are open already (tunnel.outbound.max-connections)";
    }

    protected override bool Overtaking => true;

    protected override bool Fits(IPAddress address) => _total < total && Count(address) < _perAddress;

    protected override void Take(IPAddress address)
    {
        _total++;
        _open[address] = Count(address) + 1;
    }

    protected override void Give(IPAddress address)
    {
        _total--;
        if (Count(address) <= 1) _open.Remove(address); // no entry per address once idle: the map stays as small as the traffic
        else _open[address]--;
    }

    private int Count(IPAddress address) => _open.GetValueOrDefault(address);
}
