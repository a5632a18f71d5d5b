using System.Diagnostics;
using System.Net;
using Tunnel.Tests.Testing;

namespace Tunnel.Bench;

/// <summary>
/// Issue 12's failover figures. Three nodes on PostgreSQL with the production split-brain
/// settings (<see cref="ClusterRig"/>); C connections spread over the three nodes' SMTP endpoints
/// send 1 KiB mail back to back, one message in eleven to a "held" domain whose MX refuses
/// connections, so every node's queues hold deferred mail. After --before-kill the bench SIGKILLs
/// the non-seed node whose queues hold the most held domains, moves its clients to the two
/// survivors (as senders move to the next A record), and lets the held domains' MX accept from
/// then on. It measures the survivors' intake in 5-second windows against their rate before the
/// kill, how long until the dead node's held mail arrives at its MX (delivered by a survivor),
/// and, once everything is delivered, whether any message that got 250 was lost.
/// </summary>
public static class FailoverScenario
{
    public const int HeldDomains = 6;
    /// <summary>Message seq goes to a held domain when seq mod this is its last value: 1 in 11.</summary>
    private const int Cycle = 11;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan FinishTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan DeliveryBound = TimeSpan.FromMinutes(10);

    public static string DomainOf(int seq, int domains) =>
        seq % Cycle < Cycle - 1 ? BenchRig.Domain(seq % Cycle % domains) : ClusterRig.Held(seq / Cycle % HeldDomains);

    public static async Task<FailoverResult> RunAsync(BenchOptions options, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        LoadScenario.Log($"failover: starting PostgreSQL and {ClusterRig.NodeCount} nodes");
        await using var rig = await ClusterRig.StartAsync(options.Domains, HeldDomains);
        var startup = clock.Elapsed;
        var logs = Enumerable.Range(1, ClusterRig.NodeCount).Select(n => new NodeLog(rig.Node(n)!)).ToArray();
        var pids = Enumerable.Range(1, ClusterRig.NodeCount).Select(n => rig.Node(n)!.Id).ToArray();
        var endpoints = Enumerable.Range(1, ClusterRig.NodeCount).Select(n => rig.Node(n)!.SmtpEndpoints.Single()).ToArray();
        LoadScenario.Log($"cluster up in {startup.TotalSeconds:0} s: {string.Join(", ", endpoints.Select((e, i) => $"node {i + 1} SMTP {e} pid {pids[i]}"))}");

        var messages = new BenchMessage(options.Size, Guid.NewGuid().ToString("N")[..12], seq => DomainOf(seq, options.Domains));
        var alive = endpoints; // replaced (not changed) at the kill: workers read it at each connect
        var load = new SteadyLoad(messages, options.Concurrency, options.PerConnection, worker =>
        {
            var servers = Volatile.Read(ref alive);
            return servers[worker % servers.Length];
        });
        var watch = new HeldQueues(rig.HeldDomains);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var started = Stopwatch.GetTimestamp();
        var cpu = new FailoverCpu(pids, rig.Postgres.ProcessId);
        var sending = load.RunAsync(stop.Token);
        using (Progress(load, started))
        {
            await Task.Delay(options.BeforeKill, cancel);
            for (var n = 1; n <= ClusterRig.NodeCount; n++) watch.Read(n, logs[n - 1].ReadNew());

            // The victim: never node 1 (the seed and oldest member, which hosts the shard
            // coordinator); of nodes 2 and 3 the one whose queues hold more held domains.
            var victim = Enumerable.Range(2, ClusterRig.NodeCount - 1).OrderByDescending(n => watch.DomainsOn(n).Count).ThenByDescending(n => n).First();
            var victimHeld = watch.DomainsOn(victim);
            var survivors = Enumerable.Range(1, ClusterRig.NodeCount).Where(n => n != victim).ToArray();
            cpu.Final(pids[victim - 1]);
            Volatile.Write(ref alive, survivors.Select(n => endpoints[n - 1]).ToArray());
            var killTimestamp = Stopwatch.GetTimestamp();
            var killedAt = DateTimeOffset.UtcNow;
            await rig.KillAsync(victim);
            rig.HeldSink.Listen();
            var mxUp = Stopwatch.GetElapsedTime(killTimestamp);
            LoadScenario.Log($"node {victim} SIGKILLed at +{Stopwatch.GetElapsedTime(started, killTimestamp).TotalSeconds:0.0} s; its queues held " +
                             $"{(victimHeld.Count == 0 ? "no held domain" : string.Join(", ", victimHeld))}; the held domains' MX accepts from +{mxUp.TotalSeconds:0.00} s");

            await Task.Delay(options.AfterKill, cancel);
            var loadEnd = Stopwatch.GetTimestamp();
            foreach (var n in survivors) cpu.Final(pids[n - 1]);
            var cores = cpu.Cores();
            await stop.CancelAsync();
            string? broken = null;
            try { await sending.WaitAsync(FinishTimeout, cancel); }
            catch (TimeoutException) { broken = "the clients did not finish their last messages in time"; }

            var accepted = load.AcceptedBySeq();
            LoadScenario.Log($"sending stopped: {load.Accepted} accepted; waiting until the sinks hold every one of them");
            var delivered = await WaitForDeliveryAsync(rig, messages, accepted, options.StallTimeout, cancel);
            foreach (var n in survivors) watch.Read(n, logs[n - 1].ReadNew());

            return FailoverResult.From(options, startup, started, killTimestamp, killedAt, loadEnd, victim, survivors, endpoints,
                watch, victimHeld, mxUp, load, rig, messages, accepted, delivered, cores, broken);
        }
    }

    /// <summary>Until the sinks hold every accepted message, or nothing new arrived for --stall-timeout; false then.</summary>
    private static async Task<bool> WaitForDeliveryAsync(ClusterRig rig, BenchMessage messages, bool[] accepted, TimeSpan stall, CancellationToken cancel)
    {
        var want = accepted.Count(a => a);
        var bound = Stopwatch.StartNew();
        var (last, progressAt) = (-1, Stopwatch.GetTimestamp());
        while (bound.Elapsed < DeliveryBound)
        {
            var have = rig.Sink.Messages.Concat(rig.HeldSink.Messages).Select(m => messages.SeqOf(m.Data))
                .Where(s => s is { } seq && seq < accepted.Length && accepted[seq]).Distinct().Count();
            if (have >= want) return true;
            if (have > last) (last, progressAt) = (have, Stopwatch.GetTimestamp());
            else if (Stopwatch.GetElapsedTime(progressAt) > stall)
            {
                LoadScenario.Log($"nothing delivered for {stall.TotalSeconds:0} s: {have} of {want} accepted messages arrived; giving up");
                return false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancel);
        }
        return false;
    }

    private static IDisposable Progress(SteadyLoad load, long started) => new Timer(_ =>
            LoadScenario.Log($"{Stopwatch.GetElapsedTime(started).TotalSeconds,5:0} s: accepted {load.Accepted}, 4xx {load.Deferred}, cut off {load.Unknown + load.BrokenBeforeData}"),
        null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));

}

/// <summary>
/// Where each held domain's queue runs, from the mail logs: the node whose log last showed the
/// queue at work (the domain's queue writes "queued for", a recipient's "to=… status=…" after
/// each attempt, and "destination down"), and the attempts each node logged.
/// </summary>
public sealed class HeldQueues(IReadOnlyList<string> domains)
{
    private readonly Dictionary<string, (int Node, DateTimeOffset At)> _lastSeen = [];
    private readonly List<(int Node, LogLine Line, string Domain)> _attempts = [];

    public void Read(int node, IEnumerable<LogLine> lines)
    {
        foreach (var line in lines)
        {
            if (!line.IsMail) continue;
            foreach (var domain in domains)
            {
                var attempt = line.Text.Contains($"@{domain}>, relay=", StringComparison.Ordinal)
                              || line.Text.Contains($" {domain}: destination down", StringComparison.Ordinal);
                var queued = line.Text.Contains($": queued for {domain},", StringComparison.Ordinal);
                if (!attempt && !queued) continue;
                if (attempt) _attempts.Add((node, line, domain));
                if (!_lastSeen.TryGetValue(domain, out var seen) || seen.At <= line.At) _lastSeen[domain] = (node, line.At);
                break;
            }
        }
    }

    public IReadOnlyList<string> DomainsOn(int node) =>
        _lastSeen.Where(kv => kv.Value.Node == node).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>The first attempt logged by one of <paramref name="nodes"/> at or after <paramref name="after"/> for one of <paramref name="of"/>.</summary>
    public DateTimeOffset? FirstAttempt(IEnumerable<int> nodes, IReadOnlyCollection<string> of, DateTimeOffset after)
    {
        var set = nodes.ToHashSet();
        return _attempts.Where(a => set.Contains(a.Node) && of.Contains(a.Domain) && a.Line.At >= after)
            .Select(a => (DateTimeOffset?)a.Line.At).Min();
    }
}

/// <summary>
/// Where the CPU went while the clients sent: the nodes (the victim until its kill), PostgreSQL
/// (its server process and backends), the bench (clients, sinks, DNS) and everything else, in
/// cores (CPU seconds per second of the window). On two cores, "other" says the machine was shared.
/// </summary>
public sealed class FailoverCpu
{
    private readonly MachineSample _machine = MachineSample.Now();
    private readonly TimeSpan _bench = ProcessSample.Of(Environment.ProcessId).Cpu;
    private readonly int? _postgres;
    private readonly TimeSpan _postgresCpu;
    private readonly Dictionary<int, TimeSpan> _nodes;
    private readonly Dictionary<int, TimeSpan> _final = [];

    public FailoverCpu(IEnumerable<int> pids, int? postgres)
    {
        _nodes = pids.ToDictionary(pid => pid, pid => ProcessSample.Of(pid).Cpu);
        _postgres = postgres;
        _postgresCpu = postgres is { } pg ? ProcessSample.TreeCpu(pg) : TimeSpan.Zero;
    }

    /// <summary>A node's last reading (just before it is killed, or at the end).</summary>
    public void Final(int pid) => _final[pid] = ProcessSample.Of(pid).Cpu;

    public (double Nodes, double Postgres, double Bench, double Other) Cores()
    {
        var machine = MachineSample.Now();
        var bench = (ProcessSample.Of(Environment.ProcessId).Cpu - _bench).TotalSeconds;
        var postgres = _postgres is { } pg ? (ProcessSample.TreeCpu(pg) - _postgresCpu).TotalSeconds : 0;
        var nodes = _nodes.Sum(n => ((_final.TryGetValue(n.Key, out var end) ? end : n.Value) - n.Value).TotalSeconds);
        var wall = Math.Max(1e-9, (machine.Total - _machine.Total).TotalSeconds / Environment.ProcessorCount);
        var busy = (machine.Busy - _machine.Busy).TotalSeconds;
        return (Math.Round(nodes / wall, 2), Math.Round(postgres / wall, 2), Math.Round(bench / wall, 2),
            Math.Round(Math.Max(0, busy - bench - nodes - postgres) / wall, 2));
    }
}
