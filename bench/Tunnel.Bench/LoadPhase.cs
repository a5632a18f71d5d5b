using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;

namespace Tunnel.Bench;

/// <summary>What the clients saw of one phase (warm-up or measured).</summary>
public sealed record InjectionResult(
    int Accepted, int Deferred, int Refused, int Unknown, int ConnectFailures,
    long FirstMailTimestamp, long LastAcceptTimestamp, double[] LatenciesMs, IReadOnlyList<string> Problems)
{
    /// <summary>Per connection opened, the wait from the TCP connection to the greeting.</summary>
    public double[] GreetingWaitsMs { get; init; } = [];
}

/// <summary>
/// Sends messages <c>[from, from + count)</c> over C concurrent connections (alternating between
/// the node's IPv4 and IPv6 listeners), P messages per connection, as sending MTAs would: a 4xx
/// reply sends the message to the back of the line to be tried again (at most
/// <see cref="MaxAttempts"/> times), and so does a connection that broke before the reply to
/// the data (that message may then legitimately arrive twice; it is counted as unknown).
/// </summary>
public sealed class LoadPhase(BenchRig rig, BenchOptions options, BenchMessage messages, bool[] accepted)
{
    private const int MaxAttempts = 5;
    private const int MaxConnectFailures = 100;

    private readonly ConcurrentQueue<int> _pending = new();
    private readonly ConcurrentDictionary<int, int> _attempts = new();
    private readonly List<double> _latencies = [];
    private readonly List<double> _greetingWaits = [];
    private readonly ConcurrentQueue<string> _problems = new();
    private long _firstMail;
    private long _lastAccept;
    private int _accepted, _deferred, _refused, _unknown, _connectFailures;

    public int AcceptedSoFar => Volatile.Read(ref _accepted);

    public async Task<InjectionResult> RunAsync(int from, int count, CancellationToken cancel)
    {
        for (var seq = from; seq < from + count; seq++) _pending.Enqueue(seq);
        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(i => Task.Run(() => WorkerAsync(i, cancel), cancel)));
        double[] latencies;
        lock (_latencies) latencies = _latencies.ToArray();
        double[] greetingWaits;
        lock (_greetingWaits) greetingWaits = _greetingWaits.ToArray();
        return new InjectionResult(_accepted, _deferred, _refused, _unknown, _connectFailures,
            _firstMail, _lastAccept, latencies, _problems.Take(20).ToList()) { GreetingWaitsMs = greetingWaits };
    }

    private async Task WorkerAsync(int index, CancellationToken cancel)
    {
        var server = rig.Smtp[index % rig.Smtp.Count];
        while (!_pending.IsEmpty && !cancel.IsCancellationRequested)
        {
            SmtpLoadClient client;
            try
            {
                client = await SmtpLoadClient.OpenAsync(server, cancel);
                lock (_greetingWaits) _greetingWaits.Add(client.GreetingWait.TotalMilliseconds);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException && !cancel.IsCancellationRequested)
            {
                Problem($"connect to {server}: {e.Message}");
                if (Interlocked.Increment(ref _connectFailures) > MaxConnectFailures)
                    throw new InvalidOperationException($"more than {MaxConnectFailures} connections to the node failed", e);
                await Task.Delay(100, cancel);
                continue;
            }

            await using (client)
            {
                if (!await SessionAsync(client, cancel)) continue; // broken: reconnect
                try { await client.QuitAsync(cancel); }
                catch (Exception e) when (e is IOException or SocketException) { /* done with it anyway */ }
            }
        }
    }

    /// <summary>Up to P transactions on one connection; false when the connection broke.</summary>
    private async Task<bool> SessionAsync(SmtpLoadClient client, CancellationToken cancel)
    {
        for (var n = 0; n < options.PerConnection && _pending.TryDequeue(out var seq); n++)
        {
            Interlocked.CompareExchange(ref _firstMail, Stopwatch.GetTimestamp(), 0);
            SendResult result;
            try
            {
                result = await client.SendAsync(messages.Envelope(seq), messages.Data(seq), cancel);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException && !cancel.IsCancellationRequested)
            {
                Problem($"connection lost before the data of {seq}: {e.Message}");
                _pending.Enqueue(seq); // it was never sent: just send it again
                return false;
            }

            switch (result.Status)
            {
                case SendStatus.Accepted:
                    Accept(seq, result);
                    break;
                case SendStatus.Deferred:
                    Interlocked.Increment(ref _deferred);
                    Problem($"{seq}: {result.Reply}");
                    if (_attempts.AddOrUpdate(seq, 1, (_, a) => a + 1) < MaxAttempts) _pending.Enqueue(seq);
                    break;
                case SendStatus.Refused:
                    Interlocked.Increment(ref _refused);
                    Problem($"{seq}: {result.Reply}");
                    break;
                case SendStatus.Unknown:
                    Interlocked.Increment(ref _unknown);
                    Problem($"{seq}: connection lost awaiting the reply to the data: {result.Reply}");
                    _pending.Enqueue(seq);
                    return false;
            }
        }
        return true;
    }

    private void Accept(int seq, SendResult result)
    {
        accepted[seq] = true;
        Interlocked.Increment(ref _accepted);
        long last;
        do last = Volatile.Read(ref _lastAccept);
        while (result.ReplyTimestamp > last && Interlocked.CompareExchange(ref _lastAccept, result.ReplyTimestamp, last) != last);
        var latency = Stopwatch.GetElapsedTime(result.DotTimestamp, result.ReplyTimestamp).TotalMilliseconds;
        lock (_latencies) _latencies.Add(latency);
    }

    private void Problem(string text)
    {
        if (_problems.Count < 1000) _problems.Enqueue(text);
    }
}
