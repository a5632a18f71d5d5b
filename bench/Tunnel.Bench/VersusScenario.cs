using System.Globalization;
using System.Text;

namespace Tunnel.Bench;

/// <summary>
/// Issue 16's comparison, side by side in one run: the same clients, message size, connections,
/// domains and sink, first against a private Postfix (Debian's package, durable as shipped) and
/// then against a Tunnel node (Release build, SQLite, durable before 250). Each relay is started
/// fresh and measured twice: its first <c>--cold-messages</c> (default 1,000) right after it
/// listens, with no warm-up, then <c>--messages</c> (default 15,000) more.
/// </summary>
public static class VersusScenario
{
    public static async Task<VersusResult> RunAsync(BenchOptions options, CancellationToken cancel)
    {
        var runs = new List<RelayRun>();
        foreach (var relay in new[] { "postfix", "tunnel" })
        {
            LoadScenario.Log($"{relay}: starting a fresh one");
            await using var rig = relay == "postfix" ? await BenchRig.StartPostfixAsync() : await BenchRig.StartAsync(options with { Scenario = BenchOptions.LoadScenario });
            var cold = await PhaseAsync(rig, options with { Warmup = 0, Messages = options.ColdMessages }, $"{relay} cold", cancel);
            var steady = await PhaseAsync(rig, options with { Warmup = 0 }, $"{relay} steady", cancel);
            runs.Add(new RelayRun(relay, cold, steady));
            if (rig.Node is not null) await rig.StopNodeAsync();
        }
        return new VersusResult(runs);
    }

    private static async Task<LoadResult> PhaseAsync(BenchRig rig, BenchOptions options, string name, CancellationToken cancel)
    {
        var messages = new BenchMessage(options.Size, options.Domains, Guid.NewGuid().ToString("N")[..12]);
        var result = await new LoadScenario(rig, options, messages).RunAsync(cancel);
        LoadScenario.Log($"{name}: {result.Summary()}");
        return result;
    }
}

public sealed record RelayRun(string Relay, LoadResult Cold, LoadResult Steady);

public sealed record VersusResult(IReadOnlyList<RelayRun> Runs)
{
    public bool Failed => Runs.Any(r => r.Cold.Failed || r.Steady.Failed);

    private RelayRun Of(string relay) => Runs.Single(r => r.Relay == relay);

    /// <summary>Tunnel's accepted rate over Postfix's, first 1,000 and steady.</summary>
    public double ColdRatio => Of("tunnel").Cold.AcceptedPerSecond / Of("postfix").Cold.AcceptedPerSecond;
    public double SteadyRatio => Of("tunnel").Steady.AcceptedPerSecond / Of("postfix").Steady.AcceptedPerSecond;

    /// <summary>Tunnel's first messages against its own steady rate (target ≥ 80 %).</summary>
    public double TunnelColdShare => Of("tunnel").Cold.AcceptedPerSecond / Of("tunnel").Steady.AcceptedPerSecond;

    public string Summary()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        var first = Runs[0].Steady;
        text.AppendLine(string.Create(c, $"versus: {BenchOptions.FormatSize(first.Size)}, C={first.Concurrency}, D={first.Domains}, a fresh relay each, its first {Runs[0].Cold.Messages} messages then {first.Messages}"));
        text.AppendLine("| relay | phase | accepted/s | delivered/s | CPU per message | p99 end of data → 250 | lost | dup |");
        text.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var run in Runs)
            foreach (var (phase, r) in new[] { ($"first {run.Cold.Messages}", run.Cold), ($"next {run.Steady.Messages}", run.Steady) })
                text.AppendLine(string.Create(c,
                    $"| {run.Relay} | {phase} | {r.AcceptedPerSecond:0} | {(r.DeliveredPerSecond is { } d ? d.ToString("0", c) : "INCOMPLETE")} | {(r.NodeCpuMsPerMessage is { } ms ? ms.ToString("0.00", c) + " ms" : "n/a")} | {r.LatencyP99Ms:0.0} ms | {r.Lost} | {r.Duplicated} |"));
        text.Append(string.Create(c,
            $"tunnel/postfix accepted: first messages {ColdRatio:0.0}x, steady {SteadyRatio:0.0}x (target 5x); tunnel's first messages at {TunnelColdShare:P0} of its steady rate (target 80 %)"));
        return text.ToString();
    }
}
