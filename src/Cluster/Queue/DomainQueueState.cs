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

    public IReadOnlyCollection<QueuedMessageState> Messages => _messages.Values;
    public bool IsEmpty => _messages.Count == 0;

    public QueuedMessageState? Find(MessageId id) => _messages.GetValueOrDefault(id);

    public void Apply(ITunnelMessage @event)
    {
        switch (@event)
        {
            case MessageEnqueued e:
                _messages.TryAdd(e.Id, QueuedMessageState.From(e));
                break;
            case DeliveryAttempted e:
                Find(e.Id)?.Record(e);
                break;
            case MessageCancelled e:
                _messages.Remove(e.Id);
                break;
            case MessageRemoved e:
                _messages.Remove(e.Id);
                break;
            default:
                throw new ArgumentException($"not a DomainQueue event: {@event.GetType().Name}");
        }
    }

    /// <summary>
    /// The event that records an attempt's outcomes. Recipients still deferred get the next
    /// attempt time from <paramref name="schedule"/>; a message with none left gets no time.
    /// </summary>
    public static DeliveryAttempted Attempted(QueuedMessageState message, IReadOnlyList<RecipientOutcome> outcomes,
        DateTimeOffset now, RetrySchedule schedule)
    {
        // "None left" is about the whole message: a recipient this attempt did not cover (its
        // outcome missing) is still waiting, and without a time it would never be tried again.
        var deferred = outcomes.Any(o => !o.IsFinal)
                       || message.Outcomes.Any(r => !r.IsFinal && !outcomes.Any(o => o.Recipient == r.Recipient));
        return new DeliveryAttempted(message.Id, now, outcomes, deferred ? schedule.Next(message.Attempts + 1, now) : null);
    }

    public DomainQueueSnapshot ToSnapshot() => new(_messages.Values.Select(m => m.ToSnapshot()).ToList());

    public static DomainQueueState From(DomainQueueSnapshot snapshot)
    {
        var state = new DomainQueueState();
        foreach (var message in snapshot.Messages) state._messages[message.Id] = QueuedMessageState.From(message);
        return state;
    }
}
