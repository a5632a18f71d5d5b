using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Tunnel.Bench;

/// <summary>One whole minute of the outage run: the 250s in it, and the node at its end.</summary>
public sealed record OutageMinute(int Minute, int Accepted, double AcceptedPerSecond, long RssBytes, int Queued, int? NodeQueued);

/// <summary>The figures of one outage run (issue 12), as written to JSON and printed.</summary>
public sealed record OutageResult(
    string Scenario, string Domain, int Size, int Concurrency, int PerConnection, double DurationSeconds,
    IReadOnlyList<OutageMinute> Minutes, IReadOnlyList<OutageSample> Samples,
    double? LastMinuteIntakePercentOfFirst,
    long RssBeforeBytes, long RssEndBytes, int QueuedEnd, double? RssGrowthPerQueuedKib, double? RssGrowthPerQueuedAfterMinute1Kib,
    DateTimeOffset? FirstAcceptedAt, DateTimeOffset? FirstFailureAt, int DeferredLines, IReadOnlyList<DownLine> DownLines,
    DateTimeOffset? NextAttemptAt, string NextAttemptSource, double? NextAttemptAfterFirstFailureSeconds,
    int Accepted, int Deferred, int Refused, int Unknown, int ConnectFailures, int Removed,
    int? QueueListed, int? MissingFromQueue, double? NodeCpuCoresBusy, double? OtherCpuCores, string? Broken,
    IReadOnlyList<TargetCheck> Targets, IReadOnlyList<string> Problems)
{
    public static OutageResult From(BenchOptions options, string domain, DateTimeOffset startedAt, long started,
        ProcessSample before, IReadOnlyList<OutageSample> samples, SteadyLoad load,
        IReadOnlyList<LogLine> deferred, IReadOnlyList<DownLine> down, int removed, DomainQueueStats? stats, bool statsAnswered, CpuAccount? cpu, string? broken)
    {
        var acceptances = load.Acceptances;
        var offsets = acceptances.Select(a => Stopwatch.GetElapsedTime(started, a.Timestamp).TotalSeconds).ToArray();
        var minutes = new List<OutageMinute>();
        for (var m = 1; m * 60 <= (samples.LastOrDefault()?.Seconds ?? 0) + 1; m++)
        {
            var count = offsets.Count(o => o >= (m - 1) * 60 && o < m * 60);
            var at = samples.MinBy(s => Math.Abs(s.Seconds - m * 60))!;
            minutes.Add(new OutageMinute(m, count, Round(count / 60.0), at.RssBytes, at.Queued, at.NodeQueued));
        }

        double? intake = minutes.Count >= 2 && minutes[0].Accepted > 0 ? Round(100.0 * minutes[^1].Accepted / minutes[0].Accepted) : null;
        var end = samples.LastOrDefault();
        var rssEnd = end?.RssBytes ?? before.RssBytes;
        var queuedEnd = end?.Queued ?? 0;
        double? growth = queuedEnd > 0 ? Round((rssEnd - before.RssBytes) / 1024.0 / queuedEnd) : null;
        double? growthAfter1 = minutes.Count >= 2 && queuedEnd > minutes[0].Queued
            ? Round((rssEnd - minutes[0].RssBytes) / 1024.0 / (queuedEnd - minutes[0].Queued)) : null;

        DateTimeOffset? firstAccepted = offsets.Length > 0 ? startedAt + TimeSpan.FromSeconds(offsets.Min()) : null;
        DateTimeOffset? firstFailure = deferred.Count > 0 ? deferred.Min(d => d.At) : null;
        var (next, source) = stats?.DownUntil is { } until ? (until, "admin endpoint: queue stats DownUntil at the end of the run")
            : down.Count > 0 ? (down[^1].Until, "mail log: the last \"destination down … waits until\" line")
            : ((DateTimeOffset?)null, statsAnswered ? "none: the queue stats show no DownUntil and the mail log no \"destination down\" line" : "none: no answer");
        double? nextAfter = next is not null && firstFailure is not null ? Round((next.Value - firstFailure.Value).TotalSeconds) : null;
        var queued = load.Accepted - removed;
        int? missing = stats is null ? null : Math.Max(0, queued - stats.Messages);

        var allowed = OutageScenario.RetryFirst * (1 + OutageScenario.RetryJitter);
        var targets = new List<TargetCheck>
        {
            new("last minute's intake vs the first", "≥ 90 %",
                intake is { } i ? string.Create(CultureInfo.InvariantCulture, $"{i:0.#} % ({minutes[^1].Accepted} vs {minutes[0].Accepted})") : "n/a",
                intake is null ? null : intake >= 90),
            new("node RSS growth per queued message", "≤ 4 KiB",
                growth is { } g ? string.Create(CultureInfo.InvariantCulture, $"{g:0.0} KiB ({Mib(rssEnd - before.RssBytes)} MiB for {queuedEnd} messages)") : "n/a",
                growth is null ? null : growth <= 4),
            new("the domain's next attempt after its first failure",
                $"≤ retry.first {OutageScenario.RetryFirst.TotalMinutes:0}m (+{OutageScenario.RetryJitter * 100:0} % jitter: {Duration(allowed.TotalSeconds)})",
                nextAfter is { } n ? $"{Duration(n)}" : "n/a",
                nextAfter is null ? null : nextAfter <= allowed.TotalSeconds),
        };

        return new OutageResult(BenchOptions.OutageScenario, domain, options.Size, options.Concurrency, options.PerConnection,
            Round(options.Duration.TotalSeconds), minutes, samples, intake,
            before.RssBytes, rssEnd, queuedEnd, growth, growthAfter1,
            firstAccepted, firstFailure, deferred.Count, down, next, source, nextAfter,
            load.Accepted, load.Deferred, load.Refused, load.Unknown, load.ConnectFailures, removed,
            stats?.Messages, missing, CoresOf(cpu, cpu?.NodeSeconds), CoresOf(cpu, cpu?.OtherSeconds), broken, targets, load.Problems.Take(20).ToList());
    }

    /// <summary>CPU seconds over the run's wall time (the machine's CPU time divided by its cores).</summary>
    private static double? CoresOf(CpuAccount? cpu, double? seconds) =>
        cpu is null || seconds is null ? null : Round(seconds.Value / Math.Max(1e-9, cpu.MachineSeconds / Environment.ProcessorCount));

    /// <summary>Mail the node said 250 for and no longer holds, or a run that could not measure: exit 1.</summary>
    public bool Failed => Broken is not null || Accepted == 0 || MissingFromQueue > 0;

    public string Summary()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(c));
        Line($"outage {BenchOptions.FormatSize(Size)} C={Concurrency}, {Domain}'s MX refusing connections, {DurationSeconds:0} s (one node, SQLite, production queue settings)");
        text.AppendLine("minute  accepted  per s  RSS MiB   queued  (node gauge)");
        foreach (var m in Minutes)
            Line($"{m.Minute,6}  {m.Accepted,8}  {m.AcceptedPerSecond,5:0}  {Mib(m.RssBytes),7}  {m.Queued,7}  ({m.NodeQueued?.ToString(c) ?? "n/a"})");
        Line($"memory: RSS {Mib(RssBeforeBytes)} MiB before the load, {Mib(RssEndBytes)} MiB with {QueuedEnd} queued: {Kib(RssGrowthPerQueuedKib)} per queued message ({Kib(RssGrowthPerQueuedAfterMinute1Kib)} from the end of minute 1 on)");
        Line($"first 250 {Time(FirstAcceptedAt)}, first failed attempt {Time(FirstFailureAt)}; {DeferredLines} deferred attempts, {DownLines.Count} \"destination down\" lines, waits until {string.Join(", ", DownLines.Select(d => d.Until).Distinct().Take(8).Select(u => Time(u)))}{(DownLines.Select(d => d.Until).Distinct().Count() > 8 ? ", …" : "")}");
        Line($"next attempt of {Domain}: {Time(NextAttemptAt)} ({(NextAttemptAfterFirstFailureSeconds is { } n ? Duration(n) + " after the first failure" : "n/a")}; from the {NextAttemptSource})");
        Line($"queue: {QueueListed?.ToString(c) ?? "n/a"} listed of {Accepted - Removed} accepted and not removed; clients: {Deferred} 4xx, {Refused} 5xx, {Unknown} cut off after the data, {ConnectFailures} failed connects{(MissingFromQueue > 0 ? $"; MISSING {MissingFromQueue}" : "")}{(Broken is null ? "" : $"; BROKEN: {Broken}")}");
        Line($"cpu: the node used {NodeCpuCoresBusy?.ToString("0.00", c) ?? "n/a"} of {Environment.ProcessorCount} cores, other processes {OtherCpuCores?.ToString("0.00", c) ?? "n/a"}{(OtherCpuCores > 0.1 ? " (DISTURBED: the machine was shared)" : "")}");
        text.AppendLine("targets (issue 12):");
        foreach (var target in Targets) text.AppendLine(target.ToString());
        return text.ToString().TrimEnd();
    }

    private static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) ?? "n/a";

    private static string Kib(double? kib) => kib is { } k ? string.Create(CultureInfo.InvariantCulture, $"{k:0.0} KiB") : "n/a";

    private static long Mib(long bytes) => bytes / (1024 * 1024);

    /// <summary>"+4m58s", "-0m02s".</summary>
    public static string Duration(double seconds)
    {
        var sign = seconds < 0 ? "-" : "+";
        var s = (long)Math.Round(Math.Abs(seconds));
        return s >= 3600 ? $"{sign}{s / 3600}h{s / 60 % 60:00}m{s % 60:00}s" : $"{sign}{s / 60}m{s % 60:00}s";
    }

    private static double Round(double value) => Math.Round(value, 3);
}
