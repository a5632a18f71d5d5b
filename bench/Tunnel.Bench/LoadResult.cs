using System.Diagnostics;
using System.Globalization;

namespace Tunnel.Bench;

/// <summary>The figures of one load run, as written to JSON and summarised on one line.</summary>
public sealed record LoadResult(
    string Scenario,
    int Messages, int Size, int Concurrency, int Domains, int PerConnection, int Warmup,
    int Accepted, int Deferred, int Refused, int Unknown, int ConnectFailures,
    double InjectionSeconds, double AcceptedPerSecond,
    double? EndToEndSeconds, double? DeliveredPerSecond,
    double LatencyP50Ms, double LatencyP95Ms, double LatencyP99Ms, double LatencyMaxMs,
    double? NodeCpuSeconds, double? NodeCpuMsPerMessage, double? NodeCpuCoresBusy,
    double BenchCpuSeconds, double MachineBusyCores, double? OtherCpuSeconds,
    long? NodePeakRssBytes, long? NodeRssAtEndBytes, int? NodeThreads,
    int SinkReceived, int Lost, int Duplicated, int Unasked, int Foreign,
    int NodeDeferrals, bool QueueDrained, int SinkConnections, IReadOnlyList<string> Problems)
{
    /// <summary>Client connections opened in the window, and how long the slowest waited for its greeting (the node's greeting delay shows here).</summary>
    public int Connections { get; init; }
    public double GreetingWaitMaxMs { get; init; }

    /// <summary>--trace: the node's own account of the end of data → 250, step by step.</summary>
    public StepTrace? Trace { get; init; }

    public static LoadResult From(BenchOptions options, InjectionResult injected, long? deliveredAt,
        CpuAccount cpuAccount, DeliveryCheck check, int deferrals, bool drained, int sinkConnections)
    {
        var injection = Stopwatch.GetElapsedTime(injected.FirstMailTimestamp, injected.LastAcceptTimestamp).TotalSeconds;
        double? endToEnd = deliveredAt is { } at ? Stopwatch.GetElapsedTime(injected.FirstMailTimestamp, at).TotalSeconds : null;
        var sorted = injected.LatenciesMs.Order().ToArray();
        var cpu = cpuAccount.NodeSeconds;
        var after = cpuAccount.Node;
        var cores = cpuAccount.MachineSeconds / Math.Max(1e-9, (double)Environment.ProcessorCount); // the window's wall time
        return new LoadResult(options.Calibrate ? "calibrate" : "load",
            options.Messages, options.Size, options.Concurrency, options.Domains, options.PerConnection, options.Warmup,
            injected.Accepted, injected.Deferred, injected.Refused, injected.Unknown, injected.ConnectFailures,
            Round(injection), Round(injected.Accepted / injection),
            endToEnd is null ? null : Round(endToEnd.Value), endToEnd is null ? null : Round(injected.Accepted / endToEnd.Value),
            Percentile(sorted, 0.50), Percentile(sorted, 0.95), Percentile(sorted, 0.99), sorted.LastOrDefault(),
            cpu is null ? null : Round(cpu.Value),
            cpu is null ? null : Round(cpu.Value * 1000 / Math.Max(1, injected.Accepted)),
            cpu is null || endToEnd is null ? null : Round(cpu.Value / endToEnd.Value),
            Round(cpuAccount.BenchSeconds), Round(cpuAccount.MachineBusySeconds / Math.Max(1e-9, cores)),
            cpuAccount.OtherSeconds is { } other ? Round(other) : null,
            after?.PeakRssBytes, after?.RssBytes, after?.Threads,
            check.Received, check.Lost, check.Duplicated, check.Unasked, check.Foreign,
            deferrals, drained, sinkConnections, injected.Problems)
        {
            Connections = injected.GreetingWaitsMs.Length,
            GreetingWaitMaxMs = Round(injected.GreetingWaitsMs.DefaultIfEmpty(0).Max()),
        };
    }

    /// <summary>Messages sent but neither delivered nor accounted for: the run failed.</summary>
    public bool Failed => Lost > 0 || DeliveredPerSecond is null || Accepted < Messages;

    /// <summary>e.g. "1KiB C=50 D=10 M=20000: accepted 1830/s, delivered 1410/s, p50 2.1ms p95 5.3ms p99 9.8ms, cpu 0.62ms/msg, peak RSS 212MiB, lost 0, dup 0".</summary>
    public string Summary()
    {
        var c = CultureInfo.InvariantCulture;
        var delivered = DeliveredPerSecond is { } d ? string.Create(c, $"{d:0}/s") : "INCOMPLETE";
        var cpu = NodeCpuMsPerMessage is { } ms ? string.Create(c, $"{ms:0.00}ms/msg") : "n/a";
        var rss = NodePeakRssBytes is { } b ? $"{b / (1024 * 1024)}MiB" : "n/a";
        var extra = Accepted < Messages ? $", not accepted {Messages - Accepted}" : "";
        if (OtherCpuSeconds is { } other && EndToEndSeconds is { } wall && other / wall > 0.1)
            extra += string.Create(c, $" (DISTURBED: other processes used {other / wall:0.00} cores)");
        var trace = Trace is null ? "" : "\n" + Trace.Summary(LatencyP50Ms, LatencyP99Ms);
        return string.Create(c,
            $"{(Scenario == "calibrate" ? "calibrate (no node) " : "")}{BenchOptions.FormatSize(Size)} C={Concurrency} D={Domains} M={Messages}: accepted {AcceptedPerSecond:0}/s, delivered {delivered}, " +
            $"p50 {LatencyP50Ms:0.0}ms p95 {LatencyP95Ms:0.0}ms p99 {LatencyP99Ms:0.0}ms, cpu {cpu}, peak RSS {rss}, " +
            $"lost {Lost}, dup {Duplicated}{extra}") + trace;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : Round(sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)]);

    private static double Round(double value) => Math.Round(value, 3);
}
