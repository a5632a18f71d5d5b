using System.Collections.Concurrent;
using System.Net;

namespace Tunnel.Cluster.Ingress;

/// <summary>
/// How much mail this node is holding on its way in: transactions between an accepted MAIL and
/// the reply to their data, each holding up to a message's size in memory and, at its end, a
/// commit in flight. Past the bound new mail is put off (451 4.3.1 at MAIL, 421 4.3.2 for new
/// connections) rather than the node running out of memory or piling up work the database
/// cannot absorb; senders retry, as they do for any 4xx. One client (an IPv4 address or an IPv6
/// /64, as for connections) may hold only its own share, so a few clients that open
/// transactions and idle cannot lock every other sender out. Shared by all sessions; thread-safe.
/// </summary>
public sealed class IngressLoad(int maxPendingMessages, int maxPendingPerClient = int.MaxValue)
{
    private readonly ConcurrentDictionary<IPAddress, int> _perClient = new();
    private int _pending;

    public int Pending => Volatile.Read(ref _pending);
    public bool Overloaded => Pending >= maxPendingMessages;

    /// <summary>This client holds as many transactions as one client may.</summary>
    public bool ClientOverloaded(IPAddress client) => _perClient.GetValueOrDefault(ConnectionLimiter.ClientKey(client)) >= maxPendingPerClient;

    public void Entered(IPAddress client)
    {
        Interlocked.Increment(ref _pending);
        _perClient.AddOrUpdate(ConnectionLimiter.ClientKey(client), 1, (_, n) => n + 1);
    }

    public void Left(IPAddress client)
    {
        Interlocked.Decrement(ref _pending);
        var key = ConnectionLimiter.ClientKey(client);
        while (_perClient.TryGetValue(key, out var n))
        {
            if (n <= 1 ? _perClient.TryRemove(new KeyValuePair<IPAddress, int>(key, n)) : _perClient.TryUpdate(key, n - 1, n)) return;
        }
    }
}
