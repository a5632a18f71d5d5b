using Tunnel.Messages;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// What a DomainQueue's journal says: the messages it holds, changed only by applying events
/// (during recovery exactly as when they were first decided), with the two orders its rules
/// read: waiting messages by their next attempt, and every message by arrival (expiry and the
/// oldest-message metric). No actors, no clock, no decisions: those are
/// <see cref="DomainQueueMachine"/>'s.
/// </summary>
public sealed class DomainQueueState
{
    private readonly Dictionary<MessageId, QueuedMessageState> _messages = new();
    private readonly SortedSet<(DateTimeOffset At, string Id)> _due = new();
    private readonly SortedSet<(DateTimeOffset ReceivedAt, string Id)> _arrivals = new();

    public IReadOnlyCollection<QueuedMessageState> Messages => _messages.Values;
    public int Count => _messages.Count;
    public bool IsEmpty => _messages.Count == 0;
    public DateTimeOffset? OldestReceivedAt => _arrivals.Count == 0 ? null : _arrivals.Min.ReceivedAt;

    public QueuedMessageState? Find(MessageId id) => _messages.GetValueOrDefault(id);

    /// <summary>Waiting messages in the order their next attempts are due (ties by id).</summary>
    public IEnumerable<QueuedMessageState> ByNextAttempt => _due.Select(d => _messages[new MessageId(d.Id)]);

    /// <summary>Every message, oldest first.</summary>
    public IEnumerable<QueuedMessageState> ByArrival => _arrivals.Select(a => _messages[new MessageId(a.Id)]);

    public void Apply(ITunnelMessage @event)
    {
        switch (@event)
        {
            case MessageEnqueued e:
                if (_messages.ContainsKey(e.Id)) break;
                var added = QueuedMessageState.From(e);
                _messages[e.Id] = added;
                _arrivals.Add((e.ReceivedAt, e.Id.Value));
                Index(added);
                break;
            case DeliveryAttempted e:
                Change(e.Id, m => m.Record(e));
                break;
            case DelayNotified e:
                Change(e.Id, m => m.RecordDelayNotified());
                break;
            case MessageDeleted e:
                Change(e.Id, m => m.RecordDeleted(e));
                break;
            case RetryRequested { Id: { } id } e:
                Change(id, m => { if (m.IsWaiting) m.RecordRetryRequested(e.At); });
                break;
            case RetryRequested e:
                foreach (var waiting in ByNextAttempt.ToList()) Change(waiting.Id, m => m.RecordRetryRequested(e.At));
                break;
            case NoticesSent e:
                Change(e.Id, m => m.RecordNoticesSent());
                break;
            case MessageCancelled e:
                Forget(e.Id);
                break;
            case MessageDropped e:
                Forget(e.Id);
                break;
            case MessageRemoved e:
                Forget(e.Id);
                break;
            default:
                throw new ArgumentException($"not a DomainQueue event: {@event.GetType().Name}");
        }
    }

    private void Change(MessageId id, Action<QueuedMessageState> change)
    {
        if (Find(id) is not { } message) return;
        Unindex(message);
        change(message);
        Index(message);
    }

    private void Index(QueuedMessageState message)
    {
        if (message.IsWaiting) _due.Add((message.NextAttemptAt, message.Id.Value));
    }

    private void Unindex(QueuedMessageState message) => _due.Remove((message.NextAttemptAt, message.Id.Value));

    private void Forget(MessageId id)
    {
        if (!_messages.Remove(id, out var message)) return;
        Unindex(message);
        _arrivals.Remove((message.ReceivedAt, id.Value));
    }

    public DomainQueueSnapshot ToSnapshot() => new(_messages.Values.Select(m => m.ToSnapshot()).ToList());

    public static DomainQueueState From(DomainQueueSnapshot snapshot)
    {
        var state = new DomainQueueState();
        foreach (var saved in snapshot.Messages)
        {
            var message = QueuedMessageState.From(saved);
            state._messages[message.Id] = message;
            state._arrivals.Add((message.ReceivedAt, message.Id.Value));
            state.Index(message);
        }
        return state;
    }
}
