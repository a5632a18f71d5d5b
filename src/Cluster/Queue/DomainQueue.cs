using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Tunnel.Messages;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// The queue of one destination domain: a persistent, sharded entity (remember-entities keeps
/// it running somewhere while it holds mail). It accepts messages from ingress (acknowledging
/// only once <see cref="MessageEnqueued"/> is durable), keeps one <see cref="QueuedMessage"/>
/// child per message, grants attempt slots up to the per-domain concurrency, records every
/// outcome, and releases the spooled body when the last recipient is final.
/// Receive, ask <see cref="DomainQueueState"/>, persist, tell.
/// </summary>
public sealed class DomainQueue : ReceivePersistentActor, IWithTimers
{
    private sealed record SpoolReleased(MessageId Id);
    private sealed record SpoolReleaseFailed(MessageId Id, string Reason);
    private sealed record RetryRelease(MessageId Id);

    private readonly string _domain;
    private readonly QueueServices _services;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private DomainQueueState _state = new();
    private readonly Dictionary<MessageId, IActorRef> _children = new();
    private readonly HashSet<MessageId> _inFlight = new();
    private readonly Queue<MessageId> _waiting = new();
    private int _eventsSinceSnapshot;

    public static Props Props(string domain, QueueServices services) =>
        Akka.Actor.Props.Create(() => new DomainQueue(domain, services));

    public DomainQueue(string domain, QueueServices services)
    {
        _domain = domain;
        _services = services;
        PersistenceId = $"domain-queue-{domain}";

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is DomainQueueSnapshot snapshot) _state = DomainQueueState.From(snapshot);
        });
        Recover<ITunnelMessage>(e => _state.Apply(e));
        Recover<RecoveryCompleted>(_ => Resume());

        Command<Enqueue>(Enqueue);
        Command<CancelEnqueue>(Cancel);
        Command<QueuedMessage.AttemptDue>(due => RequestSlot(due.Id));
        Command<QueuedMessage.AttemptFinished>(Finished);
        Command<SpoolReleased>(released => Removed(released.Id));
        Command<SpoolReleaseFailed>(failed =>
        {
            _log.Warning("Releasing spooled body of {0} for {1} failed, retrying: {2}", failed.Id, _domain, failed.Reason);
            Timers.StartSingleTimer($"release-{failed.Id}", new RetryRelease(failed.Id), TimeSpan.FromSeconds(5));
        });
        Command<RetryRelease>(retry => Release(retry.Id));
        Command<SaveSnapshotSuccess>(saved =>
        {
            // The snapshot holds everything: older events and snapshots are no longer needed.
            DeleteMessages(saved.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(failed => _log.Warning("Snapshot of {0} failed: {1}", PersistenceId, failed.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failed => _log.Warning("Deleting old events of {0} failed: {1}", PersistenceId, failed.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => _log.Warning("Deleting old snapshots of {0} failed: {1}", PersistenceId, failed.Cause.Message));
        Command<ReceiveTimeout>(_ => PassivateIfIdle());
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>After recovery: wake every waiting message, finish interrupted removals.</summary>
    private void Resume()
    {
        foreach (var message in _state.Messages)
        {
            if (message.Removing) Release(message.Id);
            else StartChild(message);
        }
        SetReceiveTimeout(_services.Settings.PassivateAfter);
    }

    private void Enqueue(Enqueue command)
    {
        if (_state.Find(command.Id) is not null)
        {
            // A retried Enqueue (ingress timed out, the first one landed after all): same answer.
            Sender.Tell(new EnqueueAccepted(_domain, command.Id));
            return;
        }
        var enqueued = new MessageEnqueued(command.Id, command.Envelope, command.Recipients, command.Size, command.ReceivedAt);
        Persist(enqueued, e =>
        {
            Apply(e);
            Sender.Tell(new EnqueueAccepted(_domain, e.Id));
            _services.MailLog.Queued(e.Id, _domain, e.Recipients.Count);
            StartChild(_state.Find(e.Id)!);
        });
    }

    private void Cancel(CancelEnqueue command)
    {
        if (_state.Find(command.Id) is null) return;
        Persist(new MessageCancelled(command.Id), e =>
        {
            Apply(e);
            StopChild(e.Id);
            _services.MailLog.Cancelled(e.Id, _domain);
        });
    }

    private void RequestSlot(MessageId id)
    {
        if (_state.Find(id) is not { Removing: false } || _inFlight.Contains(id) || _waiting.Contains(id)) return;
        _waiting.Enqueue(id);
        GrantSlots();
    }

    private void GrantSlots()
    {
        while (_inFlight.Count < _services.Settings.ConcurrencyPerDomain && _waiting.TryDequeue(out var id))
        {
            if (_state.Find(id) is not { Removing: false } message || !_children.TryGetValue(id, out var child)) continue;
            _inFlight.Add(id);
            child.Tell(new QueuedMessage.Attempt(message.Envelope, message.PendingRecipients));
        }
    }

    private void Finished(QueuedMessage.AttemptFinished finished)
    {
        _inFlight.Remove(finished.Id);
        if (_state.Find(finished.Id) is not { Removing: false } message)
        {
            GrantSlots();
            return;
        }
        var now = Context.System.Scheduler.Now;
        var attempted = DomainQueueState.Attempted(message, finished.Outcomes, now, _services.Settings.Retry);
        Persist(attempted, e =>
        {
            Apply(e);
            foreach (var outcome in e.Outcomes) _services.MailLog.Outcome(e.Id, outcome, now - message.ReceivedAt);
            if (message.Removing) Release(e.Id);
            else if (_children.TryGetValue(e.Id, out var child) && e.NextAttemptAt is { } next)
                child.Tell(new QueuedMessage.ScheduleAttempt(next));
            GrantSlots();
        });
    }

    /// <summary>Every recipient here is final: drop our reference to the body, then forget the message.</summary>
    private void Release(MessageId id)
    {
        StopChild(id);
        _services.Spool.ReleaseAsync(id, _domain, CancellationToken.None).PipeTo(Self,
            success: () => new SpoolReleased(id),
            failure: e => new SpoolReleaseFailed(id, e.GetBaseException().Message));
    }

    private void Removed(MessageId id)
    {
        if (_state.Find(id) is null) return;
        Persist(new MessageRemoved(id), e =>
        {
            Apply(e);
            _services.MailLog.Removed(e.Id, _domain);
        });
    }

    private void Apply(ITunnelMessage @event)
    {
        _state.Apply(@event);
        if (++_eventsSinceSnapshot < _services.Settings.SnapshotEvery) return;
        _eventsSinceSnapshot = 0;
        SaveSnapshot(_state.ToSnapshot());
    }

    private void StartChild(QueuedMessageState message)
    {
        if (_children.ContainsKey(message.Id)) return;
        var child = Context.ActorOf(Akka.Actor.Props.Create(() => new QueuedMessage(_domain, message.Id, message.NextAttemptAt, _services)),
            message.Id.Value);
        _children[message.Id] = child;
    }

    private void StopChild(MessageId id)
    {
        if (_children.Remove(id, out var child)) Context.Stop(child);
    }

    /// <summary>
    /// An empty queue stops itself after a quiet period. Through the shard this also removes it
    /// from the remembered entities, so it is not restarted until mail for the domain arrives.
    /// </summary>
    private void PassivateIfIdle()
    {
        if (_state.IsEmpty && _inFlight.Count == 0 && _children.Count == 0)
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }
}
