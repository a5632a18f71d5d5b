using System.Globalization;

namespace Tunnel.Bench;

/// <summary>The figures of one idle run.</summary>
public sealed record IdleResult(
    string Scenario, int Sessions, int Opened, int Failed, double OpenSeconds,
    long? NodeRssBeforeBytes, long? NodeRssWithSessionsBytes, double? NodeRssPerSessionBytes, long? NodePeakRssBytes,
    int? NodeThreadsBefore, int? NodeThreadsWithSessions, bool NodeStillAnswers, IReadOnlyList<string> Problems)
{
    public bool Incomplete => Opened < Sessions || !NodeStillAnswers;

    public string Summary()
    {
        var c = CultureInfo.InvariantCulture;
        string MiB(long? b) => b is { } v ? string.Create(c, $"{v / (1024.0 * 1024):0}MiB") : "n/a";
        var perSession = NodeRssPerSessionBytes is { } p ? string.Create(c, $"{p / 1024:0.0}KiB/session") : "n/a";
        return string.Create(c,
            $"idle K={Sessions}: {Opened} open in {OpenSeconds:0.0}s, node RSS {MiB(NodeRssBeforeBytes)} -> {MiB(NodeRssWithSessionsBytes)}, " +
            $"{perSession}, peak RSS {MiB(NodePeakRssBytes)}, threads {NodeThreadsBefore?.ToString(c) ?? "n/a"} -> {NodeThreadsWithSessions?.ToString(c) ?? "n/a"}, " +
            $"node {(NodeStillAnswers ? "still answers" : "DOES NOT ANSWER")}");
    }
}
