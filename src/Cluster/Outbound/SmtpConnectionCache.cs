using MailKit.Net.Smtp;
using Tunnel.Cluster.Routing;

namespace Tunnel.Cluster.Outbound;

/// <summary>
/// Open SMTP connections kept for the next message to the same server, as Postfix's connection
/// cache does: the next transaction skips the TCP handshake, the greeting, EHLO and STARTTLS. A
/// connection waits at most <c>idle</c> for its next message and serves at most
/// <c>reuseLimit</c> transactions; then it says QUIT. One whose server closed it meanwhile is
/// noticed at its first command and replaced (<see cref="SmtpSender"/>). An idle connection still
/// holds its slot of the node's connection limits (<see cref="ConnectionSlots"/>), so it is not
/// kept when a delivery waits for that slot (<c>wanted</c>), and can be closed to make room
/// (<see cref="CloseOldest"/>). Thread-safe.
/// </summary>
internal sealed class SmtpConnectionCache : IDisposable
{
    private sealed record Idle(DeliveryTarget Target, RelaySmtpClient Client, long Since);

    private readonly object _gate = new();
    // Per target, oldest first: Take uses the newest (warmest), CloseOldest and the sweep the oldest.
    private readonly Dictionary<DeliveryTarget, LinkedList<Idle>> _idle = new();
    private readonly TimeSpan _idleLimit;
    private readonly int _reuseLimit;
    private readonly Func<DeliveryTarget, bool> _wanted;
    private readonly Timer _sweeper;

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
    /// An idle connection to <paramref name="target"/>, if one is fresh enough and <paramref name="suits"/>
    /// the delivery (its TLS: a plaintext connection kept for one domain never carries mail of a domain that requires TLS).
    /// </summary>
    public RelaySmtpClient? Take(DeliveryTarget target, Func<RelaySmtpClient, bool>? suits = null)
    {
        while (true)
        {
            Idle? idle;
            lock (_gate)
            {
                if (!_idle.TryGetValue(target, out var list)) return null;
                var node = list.Last;
                while (node is not null && suits is not null && !suits(node.Value.Client)) node = node.Previous;
                if (node is null) return null;
                idle = node.Value;
                list.Remove(node);
                if (list.Count == 0) _idle.Remove(target);
            }
            if (Fresh(idle) && idle.Client.IsConnected) return idle.Client;
            Close(idle.Client);
        }
    }

    /// <summary>Keeps a connection whose transaction ended cleanly, or closes it when it has served enough or its slot is wanted.</summary>
    public void Return(DeliveryTarget target, RelaySmtpClient client)
    {
        if (!Enabled || client.Transactions >= _reuseLimit || client.Closing || !client.IsConnected || _wanted(target))
        {
            Close(client);
            return;
        }
        lock (_gate)
        {
            if (!_idle.TryGetValue(target, out var list)) _idle[target] = list = new LinkedList<Idle>();
            list.AddLast(new Idle(target, client, Environment.TickCount64));
        }
    }

    /// <summary>Closes the idle connection that has waited longest among those <paramref name="which"/> picks; false when there is none.</summary>
    public bool CloseOldest(Func<DeliveryTarget, bool> which)
    {
        Idle? oldest = null;
        lock (_gate)
        {
            foreach (var (target, list) in _idle)
                if (which(target) && (oldest is null || list.First!.Value.Since < oldest.Since))
                    oldest = list.First!.Value;
            if (oldest is null) return false;
            var from = _idle[oldest.Target];
            from.RemoveFirst();
            if (from.Count == 0) _idle.Remove(oldest.Target);
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
            foreach (var (target, list) in _idle.ToList())
            {
                while (list.First is { } first && !Fresh(first.Value))
                {
                    stale.Add(first.Value);
                    list.RemoveFirst();
                }
                if (list.Count == 0) _idle.Remove(target);
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
