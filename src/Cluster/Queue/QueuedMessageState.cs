using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>One message in a DomainQueue: its envelope part for this domain and each recipient's latest outcome.</summary>
public sealed class QueuedMessageState
{
    private readonly List<RecipientOutcome> _recipients;

    public QueuedMessageState(MessageId id, Mailbox? sender, IEnumerable<RecipientOutcome> recipients, long size,
        BodyType body, DateTimeOffset receivedAt, int attempts, DateTimeOffset nextAttemptAt, bool removing)
    {
        Id = id;
        Sender = sender;
        _recipients = recipients.ToList();
        Size = size;
        Body = body;
        ReceivedAt = receivedAt;
        Attempts = attempts;
        NextAttemptAt = nextAttemptAt;
        Removing = removing;
    }

    public MessageId Id { get; }
    public Mailbox? Sender { get; }
    public long Size { get; }
    public BodyType Body { get; }
    public DateTimeOffset ReceivedAt { get; }
    public int Attempts { get; private set; }
    public DateTimeOffset NextAttemptAt { get; private set; }

    /// <summary>Every recipient is final; only the spool release and <see cref="MessageRemoved"/> remain.</summary>
    public bool Removing { get; private set; }

    public IReadOnlyList<RecipientOutcome> Recipients => _recipients;
    public IReadOnlyList<Mailbox> PendingRecipients => _recipients.Where(r => !r.IsFinal).Select(r => r.Recipient).ToList();

    public void Record(DeliveryAttempted attempt)
    {
        Attempts++;
        foreach (var outcome in attempt.Outcomes)
        {
            var index = _recipients.FindIndex(r => r.Recipient == outcome.Recipient);
            if (index >= 0) _recipients[index] = outcome;
        }
        if (attempt.NextAttemptAt is { } next) NextAttemptAt = next;
        Removing = _recipients.All(r => r.IsFinal);
    }

    public QueuedMessageSnapshot ToSnapshot() =>
        new(Id, Sender, _recipients.ToList(), Size, Body, ReceivedAt, Attempts, NextAttemptAt, Removing);

    public static QueuedMessageState From(QueuedMessageSnapshot s) =>
        new(s.Id, s.Sender, s.Recipients, s.Size, s.Body, s.ReceivedAt, s.Attempts, s.NextAttemptAt, s.Removing);

    public static QueuedMessageState From(MessageEnqueued e) =>
        new(e.Id, e.Sender, e.Recipients.Select(r => new RecipientOutcome(r, RecipientStatus.Pending, "", "", null)),
            e.Size, e.Body, e.ReceivedAt, attempts: 0, nextAttemptAt: e.ReceivedAt, removing: false);
}
