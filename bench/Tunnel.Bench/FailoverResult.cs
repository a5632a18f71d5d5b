using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Tunnel.Bench;

/// <summary>One 5-second window after the kill: the 250s in it, against the rates before the kill.</summary>
/// <param name="From">Seconds after the kill.</param>
public sealed record FailoverWindow(double From, double To, int Accepted, double PerSecond, double? PercentOfSurvivors, double? PercentOfCluster);

/// <summary>The figures of one failover run (issue 12), as written to JSON and printed.</summary>
public sealed record FailoverResult(
    string Scenario, int Size, int Concurrency, int PerConnection, int Domains, IReadOnlyList<string> HeldDomains,
    double StartupSeconds, double BeforeKillSeconds, double AfterKillSeconds,
    int Victim, IReadOnlyList<int> Survivors, string KilledAt, double KilledAtSecond,
    IReadOnlyList<double> PreKillPerSecondBy10s, double PreKillWindowSeconds, double ClusterPreKillPerSecond, double SurvivorsPreKillPerSecond,
    IReadOnlyList<FailoverWindow> Windows, double? LowestWindowPercentOfSurvivors, int WindowsBelow90,
    IReadOnlyList<string> VictimHeldDomains, int VictimHeldMessages, double MxUpAfterKillSeconds,
    double? VictimMailFirstDeliveredAfterKillSeconds, double? VictimMailFirstAttemptLoggedAfterKillSeconds,
    double? VictimMailAllDeliveredAfterKillSeconds, double? SurvivorHeldMailFirstDeliveredAfterKillSeconds,
    int Accepted, int Deferred, int Refused, int Unknown, int BrokenBeforeData, int ConnectFailures,
    int SinkReceived, int Lost, int Duplicated, int Unasked, bool AllDelivered,
    double NodeCores, double PostgresCores, double BenchCores, double OtherCores, string? Broken,
    IReadOnlyList<TargetCheck> Targets, IReadOnlyList<string> Problems)
{
    public static FailoverResult From(BenchOptions options, TimeSpan startup, long started, long kill, DateTimeOffset killedAt, long loadEnd,
        int victim, int[] survivors, IPEndPoint[] endpoints, HeldQueues watch, IReadOnlyList<string> victimHeld, TimeSpan mxUp,
        SteadyLoad load, ClusterRig rig, BenchMessage messages, bool[] accepted, bool allDelivered,
        (double Nodes, double Postgres, double Bench, double Other) cores, string? broken)
    {
        var acceptances = load.Acceptances;
        double Offset(long timestamp) => Stopwatch.GetElapsedTime(kill, timestamp).TotalSeconds;
        var survivorEndpoints = survivors.Select(n => endpoints[n - 1]).ToHashSet();

        // Before the kill: its last third (at most 30 s), after the cluster's first-use costs (JIT
        // tiering, shard allocation, connection pools), which keep a new cluster at a fraction of
        // its steady intake for its first ~45 s on this machine. Per 10 s too, to show the ramp.
        var pre = Math.Min(30, options.BeforeKill.TotalSeconds / 3);
        var ramp = new List<double>();
        for (var from = -Stopwatch.GetElapsedTime(started, kill).TotalSeconds; from + 10 <= 0.5; from += 10)
            ramp.Add(Round(acceptances.Count(a => Offset(a.Timestamp) is var t && t >= from && t < from + 10) / 10.0));
        var before = acceptances.Where(a => Offset(a.Timestamp) is var t && t >= -pre && t < 0).ToList();
        var clusterRate = before.Count / pre;
        var survivorsRate = before.Count(a => survivorEndpoints.Contains(a.Server)) / pre;

        var windows = new List<FailoverWindow>();
        var after = Stopwatch.GetElapsedTime(kill, loadEnd).TotalSeconds;
        var offsets = acceptances.Select(a => Offset(a.Timestamp)).Where(t => t >= 0).ToArray();
        for (var from = 0.0; from + 5 <= after + 0.5; from += 5)
        {
            var count = offsets.Count(t => t >= from && t < from + 5);
            windows.Add(new FailoverWindow(from, from + 5, count, Round(count / 5.0),
                survivorsRate > 0 ? Round(100 * count / 5.0 / survivorsRate) : null,
                clusterRate > 0 ? Round(100 * count / 5.0 / clusterRate) : null));
        }
        var lowest = windows.Where(w => w.PercentOfSurvivors is not null).MinBy(w => w.PercentOfSurvivors);
        var below = windows.Count(w => w.PercentOfSurvivors < 90);

        // The dead node's queued mail: messages for the held domains whose queues ran there, accepted before the kill.
        var acceptedBeforeKill = acceptances.Where(a => Offset(a.Timestamp) < 0).Select(a => a.Seq).ToHashSet();
        var victimSet = victimHeld.ToHashSet();
        var held = rig.HeldSink.Messages.Select(m => (Seq: messages.SeqOf(m.Data), m.ReceivedAt))
            .Where(m => m.Seq is { } seq && acceptedBeforeKill.Contains(seq)).Select(m => (Seq: m.Seq!.Value, m.ReceivedAt)).ToList();
        var victimMail = held.Where(m => victimSet.Contains(messages.DomainOf(m.Seq))).ToList();
        var victimQueued = acceptedBeforeKill.Count(seq => victimSet.Contains(messages.DomainOf(seq)));
        double? firstDelivered = victimMail.Count > 0 ? Round((victimMail.Min(m => m.ReceivedAt) - killedAt).TotalSeconds) : null;
        double? allVictimDelivered = victimQueued > 0 && victimMail.Select(m => m.Seq).Distinct().Count() >= victimQueued
            ? Round((victimMail.Max(m => m.ReceivedAt) - killedAt).TotalSeconds) : null;
        var logged = watch.FirstAttempt(survivors, victimSet, killedAt);
        double? firstLogged = logged is { } l ? Round((l - killedAt).TotalSeconds) : null;
        var others = held.Where(m => !victimSet.Contains(messages.DomainOf(m.Seq))).ToList();
        double? othersFirst = others.Count > 0 ? Round((others.Min(m => m.ReceivedAt) - killedAt).TotalSeconds) : null;
        double? attemptedAgain = new[] { firstDelivered, firstLogged }.Where(x => x is not null).Min();

        var check = DeliveryCheck.Of(rig.Sink.Messages.Concat(rig.HeldSink.Messages).ToList(), messages, accepted);
        var c = CultureInfo.InvariantCulture;
        var targets = new List<TargetCheck>
        {
            new("every 5-s window after the kill vs the survivors' pre-kill rate", "≥ 90 %",
                lowest is null ? "n/a" : string.Create(c, $"lowest {lowest.PercentOfSurvivors:0} % (+{lowest.From:0}–{lowest.To:0} s: {lowest.PerSecond:0.#}/s vs {survivorsRate:0.#}/s); {below} of {windows.Count} windows below 90 %"),
                lowest is null ? null : below == 0),
            new("the dead node's queued mail attempted again after the kill", "≤ 30 s",
                attemptedAgain is { } a ? string.Create(c, $"{a:0.0} s ({victimQueued} messages of {string.Join(", ", victimHeld)})")
                    : victimHeld.Count == 0 ? "n/a: no held domain's queue ran on the killed node" : "never (within the run)",
                victimHeld.Count == 0 ? null : attemptedAgain <= 30),
            new("messages lost (250 given, never delivered)", "0", check.Lost.ToString(c), check.Lost == 0),
        };

        return new FailoverResult(BenchOptions.FailoverScenario, options.Size, options.Concurrency, options.PerConnection, options.Domains,
            rig.HeldDomains, Round(startup.TotalSeconds), options.BeforeKill.TotalSeconds, options.AfterKill.TotalSeconds,
            victim, survivors, killedAt.ToString("O", c), Round(Stopwatch.GetElapsedTime(started, kill).TotalSeconds),
            ramp, pre, Round(clusterRate), Round(survivorsRate), windows, lowest?.PercentOfSurvivors, below,
            victimHeld, victimQueued, Round(mxUp.TotalSeconds), firstDelivered, firstLogged, allVictimDelivered, othersFirst,
            load.Accepted, load.Deferred, load.Refused, load.Unknown, load.BrokenBeforeData, load.ConnectFailures,
            check.Received, check.Lost, check.Duplicated, check.Unasked, allDelivered,
            cores.Nodes, cores.Postgres, cores.Bench, cores.Other, broken, targets, load.Problems.Take(20).ToList());
    }

    /// <summary>Mail lost, or a run that could not measure: exit 1.</summary>
    public bool Failed => Lost > 0 || Broken is not null || Accepted == 0;

    public string Summary()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(c));
        Line($"failover {BenchOptions.FormatSize(Size)} C={Concurrency} over 3 nodes (PostgreSQL, split-brain stable-after as in cluster.hocon), {Domains} domains + {HeldDomains.Count} held (MX down until the kill)");
        Line($"node {Victim} SIGKILLed at +{KilledAtSecond:0.0} s of sending (node 1, the seed and oldest member, hosts the shard coordinator and is never the victim); survivors: nodes {string.Join(" and ", Survivors)}");
        Line($"before the kill, per 10 s: {string.Join(", ", PreKillPerSecondBy10s.Select(r => r.ToString("0", c)))} messages/s");
        Line($"before the kill (last {PreKillWindowSeconds:0} s): the cluster accepted {ClusterPreKillPerSecond:0.#}/s, the two survivors {SurvivorsPreKillPerSecond:0.#}/s");
        text.AppendLine("after the kill     accepted   per s  % survivors' pre-kill  % cluster's pre-kill");
        foreach (var w in Windows)
            Line($"  +{w.From,3:0}–{w.To,3:0} s  {w.Accepted,9}  {w.PerSecond,6:0.#}  {Percent(w.PercentOfSurvivors),21}  {Percent(w.PercentOfCluster),20}");
        Line($"dead node's queued mail: {VictimHeldMessages} messages of {(VictimHeldDomains.Count == 0 ? "no held domain" : string.Join(", ", VictimHeldDomains))}; their MX accepted from +{MxUpAfterKillSeconds:0.00} s; first delivered {Seconds(VictimMailFirstDeliveredAfterKillSeconds)}, first attempt in a survivor's mail log {Seconds(VictimMailFirstAttemptLoggedAfterKillSeconds)}, all delivered {Seconds(VictimMailAllDeliveredAfterKillSeconds)} after the kill (the survivors' own held mail: first delivered {Seconds(SurvivorHeldMailFirstDeliveredAfterKillSeconds)})");
        Line($"delivery: {Accepted} accepted, sinks received {SinkReceived}; lost {Lost}, duplicated {Duplicated} (at-least-once: a crash may repeat what was in flight), unasked {Unasked}; clients: {Deferred} 4xx, {Refused} 5xx, {Unknown} cut off after the data, {BrokenBeforeData} cut off before it, {ConnectFailures} failed connects{(AllDelivered ? "" : "; NOT ALL DELIVERED")}{(Broken is null ? "" : $"; BROKEN: {Broken}")}");
        Line($"cpu while sending: nodes {NodeCores:0.00}, PostgreSQL {PostgresCores:0.00}, bench {BenchCores:0.00}, other processes {OtherCores:0.00} of {Environment.ProcessorCount} cores{(OtherCores > 0.1 ? " (DISTURBED: the machine was shared)" : "")}; cluster start-up {StartupSeconds:0} s");
        text.AppendLine("targets (issue 12):");
        foreach (var target in Targets) text.AppendLine(target.ToString());
        return text.ToString().TrimEnd();
    }

    private static string Percent(double? percent) => percent is { } p ? p.ToString("0", CultureInfo.InvariantCulture) + " %" : "n/a";

    private static string Seconds(double? seconds) => seconds is { } s ? "+" + s.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "n/a";

    private static double Round(double value) => Math.Round(value, 3);
}
