using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Tunnel.Bench;

/// <summary>
/// Issue 12's outage figures: one node with SQLite and the production queue settings, one
/// destination (d000.bench.test) whose only server refuses connections for the whole run, and C
/// connections sending it mail back to back for --duration. Every 10 s the node's RSS
/// (/proc/&lt;pid&gt;/status), its queue gauge (tunnel_queue_messages on /metrics) and the 250s so far
/// are sampled; the mail log is read for the first failed attempt and every "destination down …
/// waits until" line; at the end the admin endpoint's queue stats give the domain's next probe
/// (DownUntil) and how many messages its queue holds. What is asked: does intake hold up as the
/// backlog grows, does memory grow with the backlog, and does one outage push the domain's next
/// attempt further out than retry.first?
/// </summary>
public sealed partial class OutageScenario(BenchRig rig, BenchOptions options, BenchMessage messages)
{
    /// <summary>cluster.hocon's tunnel.queue.retry.first and .jitter, which this scenario leaves as they are.</summary>
    public static readonly TimeSpan RetryFirst = TimeSpan.FromMinutes(5);
    public const double RetryJitter = 0.1;

    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan GaugeTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StatsTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FinishTimeout = TimeSpan.FromMinutes(2);

    private readonly string _domain = BenchRig.Domain(0);
    private readonly List<LogLine> _deferred = [];
    private readonly List<DownLine> _down = [];
    private int _removed;

    public async Task<OutageResult> RunAsync(CancellationToken cancel)
    {
        var node = rig.Node ?? throw new InvalidOperationException("the outage scenario runs its own node");
        using var admin = new AdminClient(node.Admin ?? throw new InvalidOperationException("the node's admin endpoint is off"));
        var log = new NodeLog(node);
        var pid = node.Id;

        await Task.Delay(Settle, cancel); // the node's start-up garbage and threads settle
        var before = ProcessSample.Of(pid);
        LoadScenario.Log($"outage: {options.Concurrency} connections send {BenchOptions.FormatSize(options.Size)} mail for {_domain}, " +
                         $"whose MX refuses connections, for {options.Duration.TotalSeconds:0} s; node RSS before {Mib(before.RssBytes)} MiB");

        var load = new SteadyLoad(messages, options.Concurrency, options.PerConnection, worker => rig.Smtp[worker % rig.Smtp.Count]);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var started = Stopwatch.GetTimestamp();
        var startedAt = DateTimeOffset.UtcNow;
        var cpu = CpuWindow.Start(pid);
        var sending = load.RunAsync(stop.Token);
        var samples = new List<OutageSample>();
        var broken = (string?)null;
        using (var timer = new PeriodicTimer(SampleEvery))
        {
            while (Stopwatch.GetElapsedTime(started) < options.Duration - TimeSpan.FromSeconds(1))
            {
                await timer.WaitForNextTickAsync(cancel);
                if (!IsAlive(pid)) { broken = "the node exited during the run"; break; }
                Read(log);
                var sample = await SampleAsync(pid, admin, load, started);
                samples.Add(sample);
                if (samples.Count % 6 == 0)
                    LoadScenario.Log($"{sample.Seconds,5:0} s: accepted {sample.Accepted}, RSS {Mib(sample.RssBytes)} MiB, node's queue gauge {sample.NodeQueued?.ToString() ?? "n/a"}");
            }
        }
        var account = IsAlive(pid) ? cpu.Stop() : null;
        await stop.CancelAsync();
        try { await sending.WaitAsync(FinishTimeout, cancel); }
        catch (TimeoutException) { broken ??= "the clients did not finish their last messages in time"; }

        var accepted = load.Accepted;
        var stats = broken is null ? await QueueStatsAsync(admin, accepted, cancel) : null;
        Read(log);
        var domainStats = stats?.FirstOrDefault(s => s.Domain == _domain);
        return OutageResult.From(options, _domain, startedAt, started, before, samples, load,
            _deferred, _down, _removed, domainStats, stats is not null, account, broken);
    }

    /// <summary>
    /// The admin endpoint's view at the end; asked again (a few times) while the queue lists fewer
    /// messages than were accepted, since a message acknowledged a moment ago may still be on its
    /// way into the queue.
    /// </summary>
    private async Task<IReadOnlyList<DomainQueueStats>?> QueueStatsAsync(AdminClient admin, int accepted, CancellationToken cancel)
    {
        IReadOnlyList<DomainQueueStats>? stats = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (attempt > 0) await Task.Delay(TimeSpan.FromSeconds(10), cancel);
            stats = await admin.QueueStatsAsync(StatsTimeout) ?? stats;
            var listed = stats?.FirstOrDefault(s => s.Domain == _domain)?.Messages;
            if (listed is null || listed >= accepted - _removed) return stats;
        }
        return stats;
    }

    private async Task<OutageSample> SampleAsync(int pid, AdminClient admin, SteadyLoad load, long started)
    {
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var accepted = load.Accepted;
        var process = ProcessSample.Of(pid);
        var gauge = await admin.GaugeAsync("tunnel_queue_messages", GaugeTimeout);
        return new OutageSample(Math.Round(seconds, 1), accepted, accepted - _removed, gauge is null ? null : (int)gauge.Value,
            process.RssBytes, process.Cpu.TotalSeconds);
    }

    private void Read(NodeLog log)
    {
        foreach (var line in log.ReadNew())
        {
            if (!line.IsMail) continue;
            if (line.Text.Contains("status=deferred", StringComparison.Ordinal)) _deferred.Add(line);
            else if (line.Text.Contains(" removed from ", StringComparison.Ordinal)) _removed++;
            else if (DownPattern().Match(line.Text) is { Success: true } down && down.Groups["domain"].Value == _domain
                     && DateTimeOffset.TryParse(down.Groups["until"].Value, null, System.Globalization.DateTimeStyles.AdjustToUniversal, out var until))
                _down.Add(new DownLine(line.At, until));
        }
    }

    private static bool IsAlive(int pid) => File.Exists($"/proc/{pid}/status");

    public static long Mib(long bytes) => bytes / (1024 * 1024);

    // src/Cluster/Observability/MailLog.cs: "<domain>: destination down, no server reachable; its mail waits until <time>"
    [GeneratedRegex(@" mail (?<domain>\S+): destination down\b.*\bwaits until (?<until>\S+)")]
    private static partial Regex DownPattern();
}

/// <summary>One "destination down … waits until" line: when the node wrote it and the time it named.</summary>
public sealed record DownLine(DateTimeOffset At, DateTimeOffset Until);

/// <param name="Seconds">Since the clients started.</param>
/// <param name="Queued">Accepted so far minus the mail log's "removed from" lines: what the queue must hold.</param>
/// <param name="NodeQueued">The node's tunnel_queue_messages gauge; null when /metrics did not answer in time.</param>
public sealed record OutageSample(double Seconds, int Accepted, int Queued, int? NodeQueued, long RssBytes, double NodeCpuSeconds);
