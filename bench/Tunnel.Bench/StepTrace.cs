using System.Globalization;
using System.Text;

namespace Tunnel.Bench;

/// <summary>One step of the way from the end of the data to the 250, over a measured phase (--trace).</summary>
/// <param name="P99UpToMs">The upper bound of the histogram bucket holding the 99th percentile.</param>
public sealed record StepFigure(string Step, long Count, double MeanMs, double P99UpToMs);

/// <summary>
/// What the node's <c>tunnel_intake_step_seconds</c> histograms and <c>tunnel_intake_commits_total</c>
/// counted between two scrapes of its /metrics (issue 16, `bench --trace`): each step's mean and
/// the bucket of its 99th percentile, and the spool commits each 250 cost.
/// </summary>
public sealed record StepTrace(IReadOnlyList<StepFigure> Steps, double CommitsPer250)
{
    public static readonly string[] StepNames = ["prepare", "wait", "write", "commit", "resume"];

    /// <summary>Samples by name and labels from a Prometheus text page.</summary>
    public static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#')) continue;
            var space = line.LastIndexOf(' ');
            if (space > 0 && double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                samples[line[..space]] = value;
        }
        return samples;
    }

    public static StepTrace Between(Dictionary<string, double> before, Dictionary<string, double> after)
    {
        double Delta(string key) => after.GetValueOrDefault(key) - before.GetValueOrDefault(key);
        var steps = new List<StepFigure>();
        foreach (var step in StepNames)
        {
            var count = (long)Delta($"tunnel_intake_step_seconds_count{{step=\"{step}\"}}");
            var sum = Delta($"tunnel_intake_step_seconds_sum{{step=\"{step}\"}}");
            // Cumulative buckets: the first whose count reaches 99 % of all holds the 99th percentile.
            var buckets = after.Keys
                .Where(k => k.StartsWith($"tunnel_intake_step_seconds_bucket{{step=\"{step}\",le=\"", StringComparison.Ordinal))
                .Select(k => (Key: k, Le: k[(k.IndexOf("le=\"", StringComparison.Ordinal) + 4)..^2]))
                .Select(b => (b.Key, Le: b.Le == "+Inf" ? double.PositiveInfinity : double.Parse(b.Le, CultureInfo.InvariantCulture)))
                .OrderBy(b => b.Le)
                .ToList();
            var p99 = buckets.FirstOrDefault(b => Delta(b.Key) >= 0.99 * count).Le;
            steps.Add(new StepFigure(step, count, count == 0 ? 0 : Math.Round(sum * 1000 / count, 3), p99 * 1000));
        }
        var accepted = Delta("tunnel_messages_accepted_total");
        return new StepTrace(steps, accepted <= 0 ? 0 : Math.Round(Delta("tunnel_intake_commits_total") / accepted, 3));
    }

    public string Summary(double clientP50Ms, double clientP99Ms)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("end of data → 250, per step (node's tunnel_intake_step_seconds over the measured phase):");
        text.AppendLine("| step | mean | p99 at most |");
        text.AppendLine("|---|---|---|");
        foreach (var s in Steps)
            text.AppendLine(string.Create(c, $"| {s.Step} | {s.MeanMs:0.000} ms | {(double.IsInfinity(s.P99UpToMs) ? "> 1000 ms" : $"{s.P99UpToMs:0.###} ms")} |"));
        text.AppendLine(string.Create(c, $"| sum of the means | {Steps.Sum(s => s.MeanMs):0.000} ms | |"));
        text.AppendLine(string.Create(c, $"| seen by the client | p50 {clientP50Ms:0.0} ms | p99 {clientP99Ms:0.0} ms |"));
        text.Append(string.Create(c, $"spool commits per 250: {CommitsPer250:0.000} (below 1: several 250s shared a commit)"));
        return text.ToString();
    }
}
