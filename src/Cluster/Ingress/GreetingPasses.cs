using System.Net;

namespace Tunnel.Cluster.Ingress;

/// <summary>
/// The client addresses that passed the pre-greet test (<c>tunnel.smtp.greeting-delay</c>: they
/// waited for our greeting), so that their next connections are greeted at once for
/// <c>tunnel.smtp.greeting-pass-ttl</c>, as Postfix's postscreen does for
/// <c>postscreen_greet_ttl</c>. A legitimate MTA then pays the delay once a day, not on every
/// connection.
/// <list type="bullet">
/// <item>Per node, in memory: a restart or another node of the cluster tests the client once more,
/// which costs it one delay and nothing else.</item>
/// <item>The exact address (an IPv4-mapped IPv6 address as IPv4): unlike the connection limits, a
/// pass is not lent to the other hosts of an IPv6 /64.</item>
/// <item>A pass is not renewed by the connections it lets through: after the TTL the client is
/// tested again, so a host that changed hands is not trusted for ever.</item>
/// <item>An early talker is forgotten at once. A remembered client is greeted at once and so
/// cannot talk early; but a connection that began before its pass (a concurrent one) is still
/// tested, and its early talk wins: the address waits again next time.</item>
/// <item>Bounded: past <c>tunnel.smtp.greeting-pass-max</c> addresses the oldest pass goes first.</item>
/// </list>
/// Pure: time is passed in; the listener owns it.
/// </summary>
public sealed class GreetingPasses
{
    private readonly TimeSpan _ttl;
    private readonly int _max;

    /// <summary>The truth: each remembered address and when it passed.</summary>
    private readonly Dictionary<IPAddress, DateTimeOffset> _passed = [];

    /// <summary>
    /// Every pass in the order given, to find the oldest without a search. An entry still counts
    /// only while <see cref="_passed"/> has the same time for its address; a later pass or a
    /// forgotten early talker leaves it stale, and it is dropped when it reaches the front.
    /// </summary>
    private readonly Queue<(IPAddress Client, DateTimeOffset At)> _order = new();

    /// <param name="ttl">How long a pass is remembered; zero: never (every connection is tested).</param>
    /// <param name="max">Addresses remembered at most.</param>
    public GreetingPasses(TimeSpan ttl, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        _ttl = ttl;
        _max = max;
    }

    /// <summary>Addresses remembered (some perhaps expired, until the next pass makes room).</summary>
    public int Count => _passed.Count;

    /// <summary>True when <paramref name="client"/> passed within the TTL: greet it at once.</summary>
    public bool Holds(IPAddress client, DateTimeOffset now) =>
        _passed.TryGetValue(Key(client), out var at) && now - at < _ttl;

    /// <summary><paramref name="client"/> waited for the greeting on a tested connection.</summary>
    public void Passed(IPAddress client, DateTimeOffset now)
    {
        if (_ttl <= TimeSpan.Zero) return;
        var key = Key(client);
        _passed[key] = now;
        _order.Enqueue((key, now));
        DropOldest(now);
        if (_order.Count > 2 * _max) Compact();
    }

    /// <summary><paramref name="client"/> talked before the greeting: no pass, whatever another connection earned.</summary>
    public void TalkedEarly(IPAddress client) => _passed.Remove(Key(client));

    private static IPAddress Key(IPAddress client) => client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client;

    /// <summary>Drops stale entries, expired passes and, past the bound, the oldest passes, from the front.</summary>
    private void DropOldest(DateTimeOffset now)
    {
        while (_order.TryPeek(out var oldest))
        {
            var current = _passed.TryGetValue(oldest.Client, out var at) && at == oldest.At;
            if (current && _passed.Count <= _max && now - at < _ttl) return;
            _order.Dequeue();
            if (current) _passed.Remove(oldest.Client);
        }
    }

    /// <summary>Stale entries behind a current one can pile up (a client forgotten and passed over and over); rebuild the order from the truth.</summary>
    private void Compact()
    {
        var current = _passed.OrderBy(p => p.Value).Select(p => (p.Key, p.Value)).ToList();
        _order.Clear();
        foreach (var entry in current) _order.Enqueue(entry);
    }
}
