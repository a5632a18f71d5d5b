using System.Collections.Concurrent;

namespace Tunnel.Tests.Testing;

/// <summary>
/// The figures every fault test reports (issue 12). Of the messages a client got 250 for: how
/// many never arrived (lost, held to 0) and how many arrived more than once (duplicated: delivery
/// is at-least-once, so printed, not held to 0). Of the domain queues probed after the fault with
/// one fresh message each: how many did not deliver it in time (frozen, held to 0). A message the
/// client got 4xx for is the client's to send again; it may not arrive, and if it does anyway it
/// counts as a duplicate. Messages are known by a tag (their X-Tag or Subject header).
/// </summary>
public sealed class FaultTally(string scenario)
{
    private readonly ConcurrentDictionary<string, string> _accepted = new(); // tag → queue id
    private readonly ConcurrentDictionary<string, string> _refused = new(); // tag → reply
    private readonly ConcurrentDictionary<string, bool> _probes = new(); // domain → its probe arrived

    /// <summary>The client got 250 (queue id <paramref name="id"/>): the message must arrive.</summary>
    public void Accepted(string tag, string id) => _accepted[tag] = id;

    /// <summary>The client got something else (4xx, or the connection broke before a reply): it may not arrive.</summary>
    public void Refused(string tag, string reply) => _refused[tag] = reply;

    /// <summary>Records the reply to one message: 250 counts as accepted, anything else as refused.</summary>
    public void Replied(string tag, string reply)
    {
        if (reply.StartsWith("250 2.0.0 Ok: queued as ", StringComparison.Ordinal)) Accepted(tag, reply[^20..]);
        else Refused(tag, reply);
    }

    public IReadOnlyCollection<string> AcceptedTags => _accepted.Keys.ToArray();

    public IReadOnlyDictionary<string, string> AcceptedIds => _accepted;

    /// <summary>A queue probed after the fault: did the fresh message to <paramref name="domain"/> arrive in time?</summary>
    public void Probed(string domain, bool delivered) => _probes[domain] = delivered;

    /// <summary>The figures, given the tags of everything that arrived (one entry per arrival).</summary>
    public FaultFigures Count(IEnumerable<string> deliveredTags)
    {
        var arrivals = deliveredTags.GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        var lost = _accepted.Keys.Where(t => !arrivals.ContainsKey(t)).Order().ToList();
        var duplicated = _accepted.Keys.Sum(t => Math.Max(0, arrivals.GetValueOrDefault(t) - 1))
                         + _refused.Keys.Sum(t => arrivals.GetValueOrDefault(t));
        var frozen = _probes.Where(p => !p.Value).Select(p => p.Key).Order().ToList();
        return new FaultFigures(scenario, _accepted.Count, _refused.Count, _accepted.Keys.Count(arrivals.ContainsKey),
            lost, duplicated, frozen, _probes.Count, _refused.Values.Distinct().ToList());
    }
}

/// <summary>What a fault test prints and asserts on.</summary>
public sealed record FaultFigures(
    string Scenario,
    int Accepted,
    int Refused,
    int Delivered,
    IReadOnlyList<string> LostTags,
    int Duplicated,
    IReadOnlyList<string> FrozenQueues,
    int Probed,
    IReadOnlyList<string> RefusalReplies)
{
    public int Lost => LostTags.Count;
    public int Frozen => FrozenQueues.Count;

    public override string ToString() =>
        $"{Scenario}: accepted {Accepted} (250), refused {Refused} (4xx or no reply), delivered {Delivered} of {Accepted}, " +
        $"lost {Lost}, duplicated {Duplicated}, frozen queues {Frozen} of {Probed} probed" +
        (Lost > 0 ? $"; lost: {string.Join(", ", LostTags)}" : "") +
        (Frozen > 0 ? $"; frozen: {string.Join(", ", FrozenQueues)}" : "") +
        (RefusalReplies.Count > 0 ? $"; refusals: {string.Join(" | ", RefusalReplies)}" : "");
}
