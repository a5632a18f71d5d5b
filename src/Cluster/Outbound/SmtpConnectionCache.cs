using MailKit.Net.Smtp;
using Tunnel.Cluster.Routing;

namespace Tunnel.Cluster.Outbound;

/// <summary>
/// Open SMTP connections kept for the next message to the same server, as Postfix's connection
/// cache does: the next transaction skips the TCP handshake, the greeting, EHLO and STARTTLS.
/// Connections are kept per server address (address and port), like Postfix's cache by address:
/// one opened for one MX host name may carry mail for another name at the same address when the
/// delivery's <c>suits</c> allows it (its TLS policy checks no name,
/// <see cref="Policy.TlsRequirement.NamesNoHost"/>), so a provider's tenants share connections. A
/// connection waits at most <c>idle</c> for its next message and serves at most
/// <c>reuseLimit</c> transactions; then it says QUIT. One whose server closed it meanwhile is
/// noticed at its first command and replaced (<see cref="SmtpSender"/>). An idle connection still
/// holds its slot of the node's connection limits (<see cref="ConnectionSlots"/>), so it is not
/// kept when a delivery waits for that slot (<c>wanted</c>), and can be closed to make room
/// (<see cref="CloseOldest"/>). A delivery that waits for a slot also waits here
/// (<see cref="Expect"/>): a connection that comes back to its address goes, with its slot, to
/// the first waiting delivery it suits, instead of being closed so that a delivery can open a new
/// one (issue 16: with many MX host names on one address every connection carried one message);
/// a delivery that waits longer but cannot use it is passed at most <see cref="MaxOvertakes"/>
/// times. Thread-safe.
/// </summary>
internal sealed class SmtpConnectionCache : IDisposable
{
    private sealed record Idle(DeliveryTarget Target, RelaySmtpClient Client, long Since);

    private readonly object _gate = new();
    // Per server address, oldest first: Take uses the newest (warmest) that suits, CloseOldest and the sweep the oldest.
    private readonly Dictionary<System.Net.IPEndPoint, LinkedList<Idle>> _idle = new();
    private readonly TimeSpan _idleLimit;
    private readonly int _reuseLimit;
    private readonly Func<DeliveryTarget, bool> _wanted;
    private readonly Timer _sweeper;
    /// <summary>How often a delivery waiting for room may see a connection handed to one behind it.</summary>
    public const int MaxOvertakes = 4;

    // Per next-hop address, the deliveries waiting for a slot there, in arrival order.
    private readonly Dictionary<System.Net.IPAddress, LinkedList<HandOff>> _waiting = new();

    /// <summary>A delivery waiting for room to <see cref="Target"/>: it takes a connection it <c>suits</c> handed over instead (<see cref="Expect"/>).</summary>
    public sealed class HandOff(DeliveryTarget target, Func<RelaySmtpClient, bool> suits)
    {
        public DeliveryTarget Target { get; } = target;
        internal Func<RelaySmtpClient, bool> Suits { get; } = suits;
        internal LinkedListNode<HandOff>? Node { get; set; }

        /// <summary>Connections handed to deliveries behind this one meanwhile (see <see cref="MaxOvertakes"/>).</summary>
        internal int Overtaken { get; set; }

        /// <summary>Completed with the connection handed over; the receiver owns it (and its slot).</summary>
        public TaskCompletionSource<RelaySmtpClient> Connection { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public SmtpConnectionCache(TimeSpan idleLimit, int reuseLimit, Func<DeliveryTarget, bool> wanted)
    {
        _idleLimit = idleLimit;
        _reuseLimit = reuseLimit;
        _wanted = wanted;
        var every = Enabled ? idleLimit : Timeout.InfiniteTimeSpan; // nothing is ever kept when off
        _sweeper = new Timer(_ => Sweep(), null, every, every);
    }

    public bool Enabled => _idleLimit > TimeSpan.Zero && _reuseLimit > 1;

    /// <summary>
    /// An idle connection to <paramref name="target"/>'s address, if one is fresh enough and
    /// <paramref name="suits"/> the delivery: its TLS (a plaintext connection kept for one domain
    /// never carries mail of a domain that requires TLS) and the host name it was opened for.
    /// </summary>
    public RelaySmtpClient? Take(DeliveryTarget target, Func<RelaySmtpClient, bool> suits)
    {
        while (true)
        {
            Idle? idle;
            lock (_gate)
            {
                if (!_idle.TryGetValue(target.EndPoint, out var list)) return null;
                var node = list.Last;
                while (node is not null && !suits(node.Value.Client)) node = node.Previous;
                if (node is null) return null;
                idle = node.Value;
                list.Remove(node);
                if (list.Count == 0) _idle.Remove(target.EndPoint);
            }
            if (Fresh(idle) && idle.Client.IsConnected) return idle.Client;
            Close(idle.Client);
        }
    }

    /// <summary>Waits in line at <paramref name="target"/>'s address for a connection to it that comes back; see <see cref="HandOff"/>.</summary>
    public HandOff Expect(DeliveryTarget target, Func<RelaySmtpClient, bool> suits)
    {
        var handOff = new HandOff(target, suits);
        lock (_gate)
        {
            var address = target.EndPoint.Address;
            if (!_waiting.TryGetValue(address, out var line)) _waiting[address] = line = new LinkedList<HandOff>();
            handOff.Node = line.AddLast(handOff);
        }
        return handOff;
    }

    /// <summary>Leaves the line; false when a connection was handed over meanwhile (then it is the caller's).</summary>
    public bool Withdraw(HandOff handOff)
    {
        lock (_gate)
        {
            if (handOff.Node?.List is not { } line) return false;
            line.Remove(handOff.Node);
            if (line.Count == 0) _waiting.Remove(handOff.Target.EndPoint.Address);
            return true;
        }
    }

    /// <summary>
    /// Keeps a connection whose transaction ended cleanly, hands it to a delivery waiting for its
    /// target (see the class), or closes it when it has served enough or its slot is wanted by another.
    /// </summary>
    public void Return(DeliveryTarget target, RelaySmtpClient client)
    {
        if (!Enabled || client.Transactions >= _reuseLimit || client.Closing || !client.IsConnected)
        {
            Close(client);
            return;
        }
        HandOff? handed = null;
        lock (_gate)
        {
            // The first delivery in line to the same server that the connection suits (its TLS,
            // and the host name where the delivery's policy checks it). Going past the first in
            // line (one whose TLS needs another connection, or another port) is allowed
            // MaxOvertakes times per delivery that waits there; after that the connection is
            // closed below and its slot goes to the one that waited longest.
            if (_waiting.TryGetValue(target.EndPoint.Address, out var line))
            {
                var head = line.First!.Value;
                for (var node = line.First; node is not null; node = node.Next)
                {
                    var waiter = node.Value;
                    if (!waiter.Target.EndPoint.Equals(target.EndPoint) || !waiter.Suits(client)) continue;
                    if (waiter != head && head.Overtaken++ >= MaxOvertakes) break;
                    line.Remove(node);
                    if (line.Count == 0) _waiting.Remove(target.EndPoint.Address);
                    handed = waiter;
                    break;
                }
            }
        }
        if (handed is not null)
        {
            handed.Connection.SetResult(client);
            return;
        }
        if (_wanted(target))
        {
            Close(client);
            return;
        }
        lock (_gate)
        {
            if (!_idle.TryGetValue(target.EndPoint, out var list)) _idle[target.EndPoint] = list = new LinkedList<Idle>();
            list.AddLast(new Idle(target, client, Environment.TickCount64));
        }
    }

    /// <summary>Closes the idle connection that has waited longest among those <paramref name="which"/> picks; false when there is none.</summary>
    public bool CloseOldest(Func<DeliveryTarget, bool> which)
    {
        Idle? oldest = null;
        lock (_gate)
        {
            foreach (var list in _idle.Values)
                if (which(list.First!.Value.Target) && (oldest is null || list.First.Value.Since < oldest.Since))
                    oldest = list.First.Value;
            if (oldest is null) return false;
            var from = _idle[oldest.Target.EndPoint];
            from.RemoveFirst();
            if (from.Count == 0) _idle.Remove(oldest.Target.EndPoint);
        }
        Close(oldest.Client);
        return true;
    }

    private bool Fresh(Idle idle) => Environment.TickCount64 - idle.Since < (long)_idleLimit.TotalMilliseconds;

    private void Sweep()
    {
        var stale = new List<Idle>();
        lock (_gate)
        {
            foreach (var (endPoint, list) in _idle.ToList())
            {
                while (list.First is { } first && !Fresh(first.Value))
                {
                    stale.Add(first.Value);
                    list.RemoveFirst();
                }
                if (list.Count == 0) _idle.Remove(endPoint);
            }
        }
        foreach (var idle in stale) Close(idle.Client);
    }

    /// <summary>QUIT and close, without making anybody wait for it; the connection's slot comes back when it is closed.</summary>
    public static void Close(RelaySmtpClient client) => _ = Task.Run(async () =>
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { if (client.IsConnected) await client.DisconnectAsync(quit: true, deadline.Token); }
        catch (Exception e) when (e is IOException or SmtpProtocolException or SmtpCommandException or OperationCanceledException) { }
        finally { client.Dispose(); }
    });

    public void Dispose()
    {
        _sweeper.Dispose();
        List<Idle> all;
        lock (_gate)
        {
            all = _idle.Values.SelectMany(list => list).ToList();
            _idle.Clear();
        }
        foreach (var idle in all) Close(idle.Client);
    }
}
