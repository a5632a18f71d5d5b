using System.Diagnostics;

namespace Tunnel.Bench;

/// <summary>
/// The throughput and latency run: a warm-up phase (delivered and drained, so JIT and first-use
/// costs stay out of the figures), then the measured phase of M messages. Accepted/s counts from
/// the first MAIL to the last 250; delivered/s from the first MAIL until the sink has every
/// accepted message. Node CPU is read from /proc over the same span. Afterwards the queue is left
/// to drain and every message the sink got is counted: lost and duplicated must both be zero.
/// </summary>
public sealed class LoadScenario(BenchRig rig, BenchOptions options, BenchMessage messages)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);
    private readonly bool[] _accepted = new bool[options.Warmup + options.Messages];

    public async Task<LoadResult> RunAsync(CancellationToken cancel)
    {
        if (options.Warmup > 0)
        {
            Log($"warm-up: {options.Warmup} messages");
            var warm = await new LoadPhase(rig, options, messages, _accepted).RunAsync(0, options.Warmup, cancel);
            Log($"warm-up: {warm.GreetingWaitsMs.Length} connections, {warm.GreetingWaitsMs.Count(ms => ms >= 1000)} of them waited 1 s or more for the greeting");
            await WaitForSinkAsync(0, warm.Accepted, cancel);
            await DrainAsync(warm.Accepted, cancel);
        }

        var baseline = rig.Sink.Messages.Count;
        var connectionsBefore = rig.Sink.ConnectionCount;
        var removedBefore = rig.CountLog("removed from");
        using var admin = options.Trace && rig.Node?.Admin is { } endpoint ? new AdminClient(endpoint) : null;
        var metricsBefore = admin is null ? null : await admin.MetricsAsync(TimeSpan.FromSeconds(10));
        var window = CpuWindow.Start(rig.NodePid, noNode: options.Calibrate, tree: rig.IsPostfix);
        Log($"measuring: {options.Messages} messages of {options.Size} octets, C={options.Concurrency}, D={options.Domains}, {options.PerConnection} per connection");
        var phase = new LoadPhase(rig, options, messages, _accepted);
        using var progress = Progress(phase, baseline);
        var injected = await phase.RunAsync(options.Warmup, options.Messages, cancel);
        var deliveredAt = await WaitForSinkAsync(baseline, injected.Accepted, cancel);
        var cpu = window.Stop();
        var metricsAfter = admin is null ? null : await admin.MetricsAsync(TimeSpan.FromSeconds(10));
        var sinkConnections = rig.Sink.ConnectionCount - connectionsBefore;
        var drained = await DrainAsync(removedBefore + injected.Accepted, cancel);

        Log($"measured: {injected.GreetingWaitsMs.Length} connections, {injected.GreetingWaitsMs.Count(ms => ms >= 1000)} of them waited 1 s or more for the greeting");
        var check = DeliveryCheck.Of(rig.Sink.Messages, messages, _accepted);
        var deferrals = rig.CountLog("status=deferred");
        var trace = metricsBefore is not null && metricsAfter is not null
            ? StepTrace.Between(StepTrace.Parse(metricsBefore), StepTrace.Parse(metricsAfter)) : null;
        if (options.Trace && trace is null) Log("--trace: the node's /metrics did not answer; no step figures");
        return LoadResult.From(options, injected, deliveredAt, cpu, check, deferrals, drained, sinkConnections) with { Trace = trace };
    }

    /// <summary>
    /// Waits until the sink holds every message accepted in this phase (beyond <paramref name="baseline"/>),
    /// giving up after --stall-timeout without a single new arrival. Returns when the last one came.
    /// </summary>
    private async Task<long?> WaitForSinkAsync(int baseline, int accepted, CancellationToken cancel)
    {
        var expect = baseline + accepted;
        var have = rig.Sink.Messages.Count;
        var progressAt = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                var all = await rig.Sink.WaitForMessagesAsync(expect, TimeSpan.FromSeconds(5)).WaitAsync(cancel);
                var now = Stopwatch.GetTimestamp();
                // Duplicates count towards the total: only distinct messages of ours say we are done.
                var missing = accepted - DeliveryCheck.Distinct(all.Skip(baseline), messages);
                if (missing <= 0) return now;
                expect = all.Count + missing;
            }
            catch (TimeoutException)
            {
                var count = rig.Sink.Messages.Count;
                if (count > have) (have, progressAt) = (count, Stopwatch.GetTimestamp());
                else if (Stopwatch.GetElapsedTime(progressAt) > options.StallTimeout)
                {
                    Log($"nothing delivered for {options.StallTimeout.TotalSeconds:0} s: {count - baseline} of {accepted} arrived; giving up");
                    return null;
                }
            }
        }
    }

    /// <summary>Until the node's mail log says every accepted message left its queue (only when we run the node).</summary>
    private async Task<bool> DrainAsync(int accepted, CancellationToken cancel)
    {
        if (rig.Node is null)
        {
            await Task.Delay(TimeSpan.FromSeconds(2), cancel); // a late duplicate still has a moment to show
            return true;
        }
        var last = -1;
        var progressAt = Stopwatch.GetTimestamp();
        while (true)
        {
            var removed = rig.CountLog("removed from");
            if (removed >= accepted) return true;
            if (removed > last) (last, progressAt) = (removed, Stopwatch.GetTimestamp());
            else if (Stopwatch.GetElapsedTime(progressAt) > options.StallTimeout) return false;
            await Task.Delay(Poll, cancel);
        }
    }

    private IDisposable Progress(LoadPhase phase, int baseline)
    {
        var started = Stopwatch.StartNew();
        return new Timer(_ => Log(
            $"{started.Elapsed.TotalSeconds,5:0} s: accepted {phase.AcceptedSoFar}/{options.Messages}, delivered {rig.Sink.Messages.Count - baseline}"),
            null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
    }

    public static void Log(string text) => Console.Error.WriteLine($"[bench] {text}");
}
