using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// One message in a DomainQueue: its envelope, its recipients in this domain, each one's latest
/// outcome, and the latest attempts (for the operator: <c>tunnel queue show</c>).
/// </summary>
public sealed class QueuedMessageState
{
    /// <summary>Attempts kept per message; older ones are dropped (a message retried for days has hundreds).</summary>
    public const int HistoryLimit = 10;

    /// <summary>The reason every waiting recipient gets when the operator deletes the message.</summary>
    public const string DeletedDetail = "deleted by the operator";

    private readonly List<RecipientOutcome> _outcomes;
    private readonly Queue<AttemptRecord> _history;

    private QueuedMessageState(MessageId id, Envelope envelope, IReadOnlyList<Recipient> recipients,
        IEnumerable<RecipientOutcome> outcomes, long size, DateTimeOffset receivedAt, int attempts,
        DateTimeOffset nextAttemptAt, bool removing, bool delayNotified, IEnumerable<AttemptRecord> history, bool silent, bool noticesSent)
    {
        NoticesSent = noticesSent;
        _history = new Queue<AttemptRecord>(history.TakeLast(HistoryLimit));
        Silent = silent;
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

    /// <summary>Deleted by the operator without a bounce: no notice goes out for it.</summary>
    public bool Silent { get; private set; }

    /// <summary>The final DSNs are in the outbox (or none was owed): only the spool release remains.</summary>
    public bool NoticesSent { get; private set; }

    /// <summary>Some recipient still waits: the message has attempts ahead of it.</summary>
    public bool IsWaiting => !Removing;

    /// <summary>When the message is too old to wait any longer (4.4.7).</summary>
    public DateTimeOffset ExpiresAt(TimeSpan lifetime) => ReceivedAt + lifetime;

    /// <summary>The latest attempts (at most <see cref="HistoryLimit"/>), oldest first.</summary>
    public IReadOnlyCollection<AttemptRecord> History => _history;

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
        Remember(new AttemptRecord(attempt.At, attempt.Outcomes));
    }

    /// <summary>The operator deleted the message: whoever still waits fails with 5.0.0, and it leaves the queue.</summary>
    public void RecordDeleted(MessageDeleted deleted)
    {
        var failed = new List<RecipientOutcome>();
        for (var i = 0; i < _outcomes.Count; i++)
        {
            if (_outcomes[i].IsFinal) continue;
            _outcomes[i] = new RecipientOutcome(_outcomes[i].Recipient, RecipientStatus.Failed, "5.0.0", DeletedDetail, null);
            failed.Add(_outcomes[i]);
        }
        Removing = true;
        Silent = !deleted.Bounce;
        if (failed.Count > 0) Remember(new AttemptRecord(deleted.At, failed));
    }

    private void Remember(AttemptRecord attempt)
    {
        _history.Enqueue(attempt);
        while (_history.Count > HistoryLimit) _history.Dequeue();
    }

    public void RecordDelayNotified() => DelayNotified = true;

    public void RecordNoticesSent() => NoticesSent = true;

    /// <summary>The operator asked for an attempt now.</summary>
    public void RecordRetryRequested(DateTimeOffset at) => NextAttemptAt = at;

    public QueuedMessageSnapshot ToSnapshot() =>
        new(Id, Envelope, Recipients, _outcomes.ToList(), Size, ReceivedAt, Attempts, NextAttemptAt, Removing, DelayNotified,
            _history.ToList(), Silent, NoticesSent);

    public static QueuedMessageState From(QueuedMessageSnapshot s) =>
        new(s.Id, s.Envelope, s.Recipients, s.Outcomes, s.Size, s.ReceivedAt, s.Attempts, s.NextAttemptAt, s.Removing, s.DelayNotified,
            s.History ?? [], s.Silent, s.NoticesSent);

    public static QueuedMessageState From(MessageEnqueued e) =>
        new(e.Id, e.Envelope, e.Recipients,
            e.Recipients.Select(r => new RecipientOutcome(r.Address, RecipientStatus.Pending, "", "", null)),
            e.Size, e.ReceivedAt, attempts: 0, nextAttemptAt: e.ReceivedAt, removing: false, delayNotified: false, history: [], silent: false,
            noticesSent: false);
}
