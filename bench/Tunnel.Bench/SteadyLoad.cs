using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tunnel.Bench;

/// <summary>One 250: which message, when the client read it (<see cref="Stopwatch"/> ticks), from which listener.</summary>
public readonly record struct Acceptance(int Seq, long Timestamp, IPEndPoint Server);

/// <summary>
/// Load for as long as it is asked to run rather than a fixed count (issue 12's scenarios): C
/// connections, each sending new messages back to back, P per connection, then QUIT and a new
/// connection. Every message has a new sequence number; one that gets 4xx or whose connection
/// breaks is not sent again (its number is simply never accepted), so the figures count 250s
/// over time. Where a connection goes is asked anew at each connect (<c>serverOf(worker)</c>),
/// so a scenario can move clients off a node it killed, as senders move to the next A record.
/// </summary>
public sealed class SteadyLoad(BenchMessage messages, int concurrency, int perConnection, Func<int, IPEndPoint?> serverOf)
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(100);
    private readonly List<Acceptance> _accepted = [];
    private readonly List<string> _problems = [];
    private int _next = -1;
    private int _deferred, _refused, _unknown, _connectFailures, _brokenBeforeData;

    public int Accepted
    {
        get { lock (_accepted) return _accepted.Count; }
    }

    /// <summary>Sequence numbers handed out so far: every message of the run is below this.</summary>
    public int Sent => Volatile.Read(ref _next) + 1;

    public int Deferred => Volatile.Read(ref _deferred);
    public int Refused => Volatile.Read(ref _refused);
    public int Unknown => Volatile.Read(ref _unknown);
    public int ConnectFailures => Volatile.Read(ref _connectFailures);
    public int BrokenBeforeData => Volatile.Read(ref _brokenBeforeData);

    public IReadOnlyList<Acceptance> Acceptances
    {
        get { lock (_accepted) return _accepted.ToArray(); }
    }

    public IReadOnlyList<string> Problems
    {
        get { lock (_problems) return _problems.ToArray(); }
    }

    /// <summary>accepted[seq]: the node said 250 for message seq.</summary>
    public bool[] AcceptedBySeq()
    {
        var accepted = new bool[Sent];
        foreach (var a in Acceptances) accepted[a.Seq] = true;
        return accepted;
    }

    /// <summary>
    /// Sends until <paramref name="stop"/> is cancelled, then lets each connection finish the
    /// message it is in (bounded by the client's reply timeout) and QUIT.
    /// </summary>
    public async Task RunAsync(CancellationToken stop)
    {
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(i => Task.Run(() => WorkerAsync(i, stop))));
    }

    private async Task WorkerAsync(int worker, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (serverOf(worker) is not { } server)
            {
                await Delay(stop);
                continue;
            }
            SmtpLoadClient client;
            try
            {
                client = await SmtpLoadClient.OpenAsync(server, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                Interlocked.Increment(ref _connectFailures);
                Problem($"connect to {server}: {e.Message}");
                await Delay(stop);
                continue;
            }

            await using (client)
            {
                if (!await SessionAsync(client, server, stop)) continue; // broken: reconnect
                try
                {
                    using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await client.QuitAsync(quit.Token);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
                {
                    // done with it anyway
                }
            }
        }
    }

    /// <summary>Up to P transactions on one connection; false when the connection broke.</summary>
    private async Task<bool> SessionAsync(SmtpLoadClient client, IPEndPoint server, CancellationToken stop)
    {
        for (var n = 0; n < perConnection && !stop.IsCancellationRequested; n++)
        {
            var seq = Interlocked.Increment(ref _next);
            SendResult result;
            try
            {
                // Not cancelled by `stop`: a message under way is finished, so its 250 is not lost to the count.
                result = await client.SendAsync(messages.Envelope(seq), messages.Data(seq), CancellationToken.None);
            }
            catch (Exception e) when (e is IOException or SocketException or EndOfStreamException or OperationCanceledException)
            {
                Interlocked.Increment(ref _brokenBeforeData);
                Problem($"connection to {server} lost before the data of {seq}: {e.Message}");
                return false;
            }

            switch (result.Status)
            {
                case SendStatus.Accepted:
                    lock (_accepted) _accepted.Add(new Acceptance(seq, result.ReplyTimestamp, server));
                    break;
                case SendStatus.Deferred:
                    Interlocked.Increment(ref _deferred);
                    Problem($"{seq} at {server}: {result.Reply}");
                    break;
                case SendStatus.Refused:
                    Interlocked.Increment(ref _refused);
                    Problem($"{seq} at {server}: {result.Reply}");
                    break;
                case SendStatus.Unknown:
                    Interlocked.Increment(ref _unknown);
                    Problem($"{seq} at {server}: connection lost awaiting the reply to the data: {result.Reply}");
                    return false;
            }
        }
        return true;
    }

    private static async Task Delay(CancellationToken stop)
    {
        try { await Task.Delay(Pause, stop); }
        catch (OperationCanceledException) { /* stopping */ }
    }

    private void Problem(string text)
    {
        lock (_problems) if (_problems.Count < 1000) _problems.Add(text);
    }
}
