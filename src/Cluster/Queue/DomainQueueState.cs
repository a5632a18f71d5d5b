using Tunnel.Messages;
using Tunnel.Messages.Queue;
using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// The pure half of a DomainQueue: the messages it holds, changed only by applying events
/// (during recovery exactly as when they were first persisted), and the decisions that produce
/// those events. No actors, no clock: time is passed in.
/// </summary>
public sealed class DomainQueueState
{
    private readonly Dictionary<MessageId, QueuedMessageState> _messages = new();
    // Arrival order, for the oldest message's age (a metric read after every event: kept cheap).
    private readonly SortedSet<(DateTimeOffset ReceivedAt, string Id)> _arrivals = new();

    public IReadOnlyCollection<QueuedMessageState> Messages => _messages.Values;
    public bool IsEmpty => _messages.Count == 0;
    public DateTimeOffset? OldestReceivedAt => _arrivals.Count == 0 ? null : _arrivals.Min.ReceivedAt;

    public QueuedMessageState? Find(MessageId id) => _messages.GetValueOrDefault(id);

    public void Apply(ITunnelMessage @event)
    {
        switch (@event)
        {
            case MessageEnqueued e:
                if (_messages.TryAdd(e.Id, QueuedMessageState.From(e))) _arrivals.Add((e.ReceivedAt, e.Id.Value));
                break;
            case DeliveryAttempted e:
                Find(e.Id)?.Record(e);
                break;
            case MessageCancelled e:
                Forget(e.Id);
                break;
            case MessageRemoved e:
                Forget(e.Id);
                break;
            case DelayNotified e:
                Find(e.Id)?.RecordDelayNotified();
                break;
            case MessageDeleted e:
                Find(e.Id)?.RecordDeleted(e);
                break;
            default:
                throw new ArgumentException($"not a DomainQueue event: {@event.GetType().Name}");
        }
    }

    private void Forget(MessageId id)
    {
        if (_messages.Remove(id, out var message)) _arrivals.Remove((message.ReceivedAt, id.Value));
    }

    /// <summary>
    /// The event that records an attempt's outcomes. Recipients still deferred get the next
    /// attempt time from the schedule; once the message is older than its lifetime they fail
    /// instead (4.4.7, RFC 3463 §3.5), keeping the last error in the diagnostic, so the sender
    /// learns why. A message with no recipient left waiting gets no time.
    /// </summary>
    public static DeliveryAttempted Attempted(QueuedMessageState message, IReadOnlyList<RecipientOutcome> outcomes,
        DateTimeOffset now, QueueSettings settings, double random = 0.5)
    {
        var expired = now - message.ReceivedAt >= settings.Lifetime;
        if (expired)
            outcomes = outcomes.Select(o => o.IsFinal ? o : Expire(o, settings.Lifetime)).ToList();
        // "None left" is about the whole message: a recipient this attempt did not cover (its
        // outcome missing) is still waiting, and without a time it would never be tried again.
        var waiting = outcomes.Any(o => !o.IsFinal)
                      || message.Outcomes.Any(r => !r.IsFinal && !outcomes.Any(o => o.Recipient == r.Recipient));
        return new DeliveryAttempted(message.Id, now, outcomes, waiting ? settings.Retry.Next(message.Attempts + 1, now, random) : null);
    }

    /// <summary>
    /// For a message past its lifetime that cannot even be attempted (its destination is down):
    /// every waiting recipient fails with its last known outcome as the reason.
    /// </summary>
    public static DeliveryAttempted Expired(QueuedMessageState message, DateTimeOffset now, QueueSettings settings) =>
        new(message.Id, now, message.Outcomes.Where(o => !o.IsFinal).Select(o => Expire(o, settings.Lifetime)).ToList(), null);

    public static bool IsExpired(QueuedMessageState message, DateTimeOffset now, QueueSettings settings) =>
        now - message.ReceivedAt >= settings.Lifetime;

    private static RecipientOutcome Expire(RecipientOutcome outcome, TimeSpan lifetime) =>
        outcome with
        {
            Status = RecipientStatus.Failed,
            Dsn = "4.4.7",
            Detail = $"delivery time expired after {Format(lifetime)}"
                     + (outcome.Detail.Length > 0 ? $"; last error: {outcome.Detail}" : ""),
        };

    private static string Format(TimeSpan span) =>
        span.TotalDays >= 1 && span.TotalDays == Math.Floor(span.TotalDays) ? $"{span.TotalDays:0}d"
        : span.TotalHours >= 1 && span.TotalHours == Math.Floor(span.TotalHours) ? $"{span.TotalHours:0}h"
        : span.TotalSeconds == Math.Floor(span.TotalSeconds) ? $"{span.TotalSeconds:0}s"
        : span.ToString();

    public DomainQueueSnapshot ToSnapshot() => new(_messages.Values.Select(m => m.ToSnapshot()).ToList());

    public static DomainQueueState From(DomainQueueSnapshot snapshot)
    {
        var state = new DomainQueueState();
        foreach (var message in snapshot.Messages)
        {
            state._messages[message.Id] = QueuedMessageState.From(message);
            state._arrivals.Add((message.ReceivedAt, message.Id.Value));
        }
        return state;
    }
}
