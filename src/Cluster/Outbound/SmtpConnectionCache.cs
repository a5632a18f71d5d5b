using System.Collections.Concurrent;
using MailKit.Net.Smtp;
using Tunnel.Cluster.Routing;

namespace Tunnel.Cluster.Outbound;

/// <summary>
/// Open SMTP connections kept for the next message to the same server, as Postfix's connection
/// cache does: the next transaction skips the TCP handshake, the greeting, EHLO and STARTTLS. A
/// connection waits at most <c>idle</c> for its next message and serves at most
/// <c>reuseLimit</c> transactions; then it says QUIT. One whose server closed it meanwhile is
/// noticed at its first command and replaced (<see cref="SmtpSender"/>). Thread-safe.
/// </summary>
internal sealed class SmtpConnectionCache : IDisposable
{
    private sealed record Idle(RelaySmtpClient Client, long Since);

    private readonly ConcurrentDictionary<DeliveryTarget, ConcurrentStack<Idle>> _idle = new();
    private readonly TimeSpan _idleLimit;
    private readonly int _reuseLimit;
    private readonly Timer _sweeper;

    public SmtpConnectionCache(TimeSpan idleLimit, int reuseLimit)
    {
        _idleLimit = idleLimit;
        _reuseLimit = reuseLimit;
        var every = Enabled ? idleLimit : Timeout.InfiniteTimeSpan; // nothing is ever kept when off
        _sweeper = new Timer(_ => Sweep(), null, every, every);
    }

    public bool Enabled => _idleLimit > TimeSpan.Zero && _reuseLimit > 1;

    /// <summary>An idle connection to <paramref name="target"/>, if one is fresh enough.</summary>
    public RelaySmtpClient? Take(DeliveryTarget target)
    {
        if (!_idle.TryGetValue(target, out var stack)) return null;
        while (stack.TryPop(out var idle))
        {
            if (Fresh(idle) && idle.Client.IsConnected) return idle.Client;
            Close(idle.Client);
        }
        return null;
    }

    /// <summary>Keeps a connection whose transaction ended cleanly, or closes it when it has served enough.</summary>
    public void Return(DeliveryTarget target, RelaySmtpClient client)
    {
        if (!Enabled || client.Transactions >= _reuseLimit || client.Closing || !client.IsConnected)
        {
            Close(client);
            return;
        }
        _idle.GetOrAdd(target, _ => new ConcurrentStack<Idle>()).Push(new Idle(client, Environment.TickCount64));
    }

    private bool Fresh(Idle idle) => Environment.TickCount64 - idle.Since < (long)_idleLimit.TotalMilliseconds;

    private void Sweep()
    {
        foreach (var stack in _idle.Values)
        {
            var keep = new List<Idle>();
            while (stack.TryPop(out var idle))
            {
                if (Fresh(idle)) keep.Add(idle);
                else Close(idle.Client);
            }
            foreach (var idle in Enumerable.Reverse(keep)) stack.Push(idle);
        }
    }

    /// <summary>QUIT and close, without making anybody wait for it.</summary>
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
        foreach (var stack in _idle.Values)
            while (stack.TryPop(out var idle)) Close(idle.Client);
    }
}
