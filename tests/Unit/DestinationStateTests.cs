using System.Globalization;
using Tunnel.Cluster.Queue;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// Whether a destination is up, and how many attempts may start: all the concurrency while it
/// is up; once an attempt finds it down, nothing until its backoff has passed, then one probe
/// when nothing else is in flight; a probe that gets through brings everybody back. One outage
/// counts once: attempts that were running when it was noticed do not move the next probe out,
/// only failed probes do. Backoff 1 min doubling to 8 min. Scenarios are scripts of steps at
/// minutes after 12:00: "slots@M c=C in=I → N", "ended@M down|up [probe]", "down-until → M|up".
/// A sibling sub-queue's report (issue 15): "told down-until=M → taken|ignored", "told up → taken|ignored".
/// </summary>
public sealed class DestinationStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly RetrySchedule Backoff = new(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(8));

    public static readonly Dictionary<string, string[]> Scenarios = new()
    {
        ["up: the concurrency less what is in flight"] =
        [
            "down-until → up",
            "slots@0 c=5 in=0 → 5", "slots@0 c=5 in=3 → 2", "slots@0 c=5 in=5 → 0", "slots@0 c=5 in=7 → 0", "slots@0 c=1 in=0 → 1",
        ],
        ["an attempt that got through keeps it up"] =
        [
            "ended@0 up", "down-until → up", "slots@0 c=5 in=2 → 3",
        ],
        ["down: nothing until the backoff has passed, then one probe"] =
        [
            "ended@0 down", "down-until → 1",
            "slots@0 c=5 in=0 → 0", "slots@0.5 c=5 in=0 → 0", "slots@0.99 c=5 in=0 → 0",
            "slots@1 c=5 in=0 → 1", "slots@30 c=5 in=0 → 1",
        ],
        ["no probe while other attempts are still in flight (the probe itself counts as one)"] =
        [
            "ended@0 down", "slots@2 c=5 in=1 → 0", "slots@2 c=5 in=4 → 0", "slots@2 c=5 in=0 → 1",
        ],
        ["a probe that fails doubles the wait, up to the cap"] =
        [
            "ended@0 down", "down-until → 1",
            "slots@1 c=5 in=0 → 1", "ended@1 down probe", "down-until → 3",
            "slots@2 c=5 in=0 → 0", "slots@3 c=5 in=0 → 1", "ended@3 down probe", "down-until → 7",
            "ended@7 down probe", "down-until → 15",
            "ended@15 down probe", "down-until → 23",
            "ended@23 down probe", "down-until → 31",
            "slots@30 c=5 in=0 → 0", "slots@31 c=5 in=0 → 1",
        ],
        ["a probe that gets through releases everybody"] =
        [
            "ended@0 down", "ended@1 up probe", "down-until → up",
            "slots@1 c=5 in=0 → 5", "slots@1 c=5 in=2 → 3",
        ],
        ["after recovery the backoff starts over"] =
        [
            "ended@0 down", "ended@1 down probe", "ended@3 down probe", "down-until → 7",
            "ended@7 up probe", "down-until → up",
            "ended@10 down", "down-until → 11",
        ],
        // The issue's measurement: ten attempts failing within 40 ms pushed the next probe 70
        // minutes out. Attempts started before the outage was noticed are the same outage.
        ["attempts in flight when it went down count once"] =
        [
            "ended@0 down", "down-until → 1", "ended@0.01 down", "ended@0.02 down", "ended@0.5 down", "down-until → 1",
            "slots@0.9 c=5 in=0 → 0", "slots@1 c=5 in=0 → 1",
        ],
        ["an attempt in flight that got through clears it"] =
        [
            "ended@0 down", "ended@0.5 up", "down-until → up", "slots@0.5 c=5 in=1 → 4",
        ],
        ["a new outage after it came back counts from the start"] =
        [
            "ended@0 down", "ended@1 down probe", "down-until → 3", "ended@3 up probe", "ended@4 down", "down-until → 5",
        ],
        // Issue 15: the sub-queues of a split domain tell each other what their own attempts found.
        ["told down while up: nothing new until then, then one probe"] =
        [
            "told down-until=2 → taken", "down-until → 2",
            "slots@0 c=5 in=0 → 0", "slots@1.99 c=5 in=0 → 0", "slots@2 c=5 in=0 → 1",
        ],
        ["told down, its own first failed probe doubles from the start: the report was not its failure"] =
        [
            "told down-until=2 → taken", "ended@2 down probe", "down-until → 4", "ended@4 down probe", "down-until → 8",
        ],
        ["told down while down: its own backoff stays"] =
        [
            "ended@0 down", "told down-until=9 → ignored", "down-until → 1",
            "ended@1 down probe", "told down-until=2 → ignored", "down-until → 3",
        ],
        ["told down while an attempt runs: its failure is the same outage, its success brings it back"] =
        [
            "told down-until=1 → taken", "ended@0.5 down", "down-until → 1", "ended@0.6 up", "down-until → up",
        ],
        ["told up while down: up at once, and the backoff starts over"] =
        [
            "ended@0 down", "ended@1 down probe", "down-until → 3",
            "told up → taken", "down-until → up", "slots@2 c=5 in=1 → 4",
            "ended@4 down", "down-until → 5",
        ],
        ["told up while up: nothing changes"] =
        [
            "told up → ignored", "down-until → up", "ended@0 down", "ended@0.5 up", "told up → ignored", "down-until → up",
        ],
    };

    public static TheoryData<string> ScenarioNames => new(Scenarios.Keys);

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void Plays(string name)
    {
        var destination = new DestinationState(Backoff);

        foreach (var step in Scenarios[name])
        {
            var words = step.Split(' ');
            switch (words[0].Split('@')[0])
            {
                case "slots":
                    var concurrency = int.Parse(words[1][2..]);
                    var inFlight = int.Parse(words[2][3..]);
                    var slots = destination.Slots(At(words[0]), concurrency, inFlight);
                    Assert.Equal(step, $"{words[0]} {words[1]} {words[2]} → {slots}");
                    break;
                case "ended":
                    destination.AttemptEnded(words[1] == "down", probe: words.Length > 2 && words[2] == "probe", At(words[0]));
                    break;
                case "told":
                    var taken = words[1] == "up" ? destination.Cleared() : destination.Adopt(Minutes(words[1]["down-until=".Length..]));
                    Assert.Equal(step, $"told {words[1]} → {(taken ? "taken" : "ignored")}");
                    break;
                case "down-until":
                    var until = destination.DownUntil is { } t ? (t - T0).TotalMinutes.ToString(CultureInfo.InvariantCulture) : "up";
                    Assert.Equal(step, $"down-until → {until}");
                    Assert.Equal(destination.DownUntil is not null, destination.IsDown);
                    break;
                default:
                    throw new ArgumentException($"unknown step '{step}'");
            }
        }
    }

    [Fact]
    public void The_backoff_of_a_destination_is_not_jittered()
    {
        // One state per destination, so there is no crowd to spread: the wait is exact.
        var destination = new DestinationState(Backoff with { Jitter = 0.5 });

        destination.AttemptEnded(destinationDown: true, probe: false, T0);
        destination.AttemptEnded(destinationDown: true, probe: true, T0);

        Assert.Equal(T0.AddMinutes(2), destination.DownUntil);
    }

    private static DateTimeOffset At(string word) => Minutes(word.Split('@')[1]);

    private static DateTimeOffset Minutes(string minutes) =>
        T0.AddMinutes(double.Parse(minutes, CultureInfo.InvariantCulture));
}
