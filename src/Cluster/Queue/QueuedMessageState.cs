using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>One message in a DomainQueue: its envelope, its recipients in this domain and each one's latest outcome.</summary>
public sealed class QueuedMessageState
{
    private readonly List<RecipientOutcome> _outcomes;

    private QueuedMessageState(MessageId id, Envelope envelope, IReadOnlyList<Recipient> recipients,
        IEnumerable<RecipientOutcome> outcomes, long size, DateTimeOffset receivedAt, int attempts,
        DateTimeOffset nextAttemptAt, bool removing, bool delayNotified)
    {
        Id = id;
        Envelope = envelope;
        Recipients = recipients;
        _outcomes = outcomes.ToList();
        Size = size;
        ReceivedAt = receivedAt;
        Attempts = attempts;
        NextAttemptAt = nextAttemptAt;
        Removing = removing;
        DelayNotified = delayNotified;
    }

    public MessageId Id { get; }
    public Envelope Envelope { get; }
    public IReadOnlyList<Recipient> Recipients { get; }
    public long Size { get; }
    public DateTimeOffset ReceivedAt { get; }
    public int Attempts { get; private set; }
    public DateTimeOffset NextAttemptAt { get; private set; }

    /// <summary>Every recipient is final; only the spool release and <see cref="MessageRemoved"/> remain.</summary>
    public bool Removing { get; private set; }

    /// <summary>A delay DSN went to the sender already; there is one per message.</summary>
    public bool DelayNotified { get; private set; }

    /// <summary>The latest outcome of each recipient, in <see cref="Recipients"/> order.</summary>
    public IReadOnlyList<RecipientOutcome> Outcomes => _outcomes;

    public IReadOnlyList<Recipient> PendingRecipients =>
        Recipients.Where((_, i) => !_outcomes[i].IsFinal).ToList();

    public void Record(DeliveryAttempted attempt)
    {
        Attempts++;
        foreach (var outcome in attempt.Outcomes)
        {
            var index = _outcomes.FindIndex(o => o.Recipient == outcome.Recipient);
            if (index >= 0) _outcomes[index] = outcome;
        }
        if (attempt.NextAttemptAt is { } next) NextAttemptAt = next;
        Removing = _outcomes.All(o => o.IsFinal);
    }

    public void RecordDelayNotified() => DelayNotified = true;

    public QueuedMessageSnapshot ToSnapshot() =>
        new(Id, Envelope, Recipients, _outcomes.ToList(), Size, ReceivedAt, Attempts, NextAttemptAt, Removing, DelayNotified);

    public static QueuedMessageState From(QueuedMessageSnapshot s) =>
        new(s.Id, s.Envelope, s.Recipients, s.Outcomes, s.Size, s.ReceivedAt, s.Attempts, s.NextAttemptAt, s.Removing, s.DelayNotified);

    public static QueuedMessageState From(MessageEnqueued e) =>
        new(e.Id, e.Envelope, e.Recipients,
            e.Recipients.Select(r => new RecipientOutcome(r.Address, RecipientStatus.Pending, "", "", null)),
            e.Size, e.ReceivedAt, attempts: 0, nextAttemptAt: e.ReceivedAt, removing: false, delayNotified: false);
}
