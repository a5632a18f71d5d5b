using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Tunnel.Cluster.Bounces;
using Tunnel.Messages;
using Tunnel.Messages.Admin;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// The queue of one destination domain: a persistent, sharded entity (remember-entities keeps
/// it running somewhere while it holds mail). It accepts messages from ingress (acknowledging
/// only once <see cref="MessageEnqueued"/> is durable), keeps one <see cref="QueuedMessage"/>
/// child per message, grants attempt slots up to the per-domain concurrency, records every
/// outcome, sends the DSNs a message owes, and releases the spooled body when the last recipient
/// is final. When no server of the domain can be reached, the domain is down: its messages wait
/// together and one probe at a time finds out when it is back (<see cref="DestinationState"/>).
/// Receive, ask <see cref="DomainQueueState"/>, persist, tell.
/// </summary>
public sealed class DomainQueue : ReceivePersistentActor, IWithTimers
{
    private sealed record NoticesSent(MessageId Id, string Kinds);
    private sealed record NoticeFailed(MessageId Id, string Reason);
    private sealed record DelayNoticeSent(MessageId Id);
    private sealed record SpoolReleased(MessageId Id);
    private sealed record SpoolReleaseFailed(MessageId Id, string Reason);
    private sealed record RetryFinish(MessageId Id);
    private sealed record ProbeDue;
    private sealed record BodyWaitOver(MessageId Id);

    private static readonly TimeSpan FinishRetryDelay = TimeSpan.FromSeconds(10);

    private readonly string _domain;
    private readonly QueueServices _services;
    private readonly QueueSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<MessageId, IActorRef> _children = new();
    private readonly HashSet<MessageId> _inFlight = new();
    private readonly Queue<MessageId> _waiting = new();
    private readonly HashSet<MessageId> _finishing = new();
    // Messages with an event written but not yet applied (see PersistFor), and how many.
    private readonly Dictionary<MessageId, int> _persisting = new();
    // New messages whose body ingress has not confirmed yet (BodyStored): no attempt before it.
    private readonly HashSet<MessageId> _awaitingBody = new();
    private readonly DestinationState _destination;
    private DomainQueueState _state = new();
    private int _eventsSinceSnapshot;

    public static Props Props(string domain, QueueServices services) =>
        Akka.Actor.Props.Create<DomainQueue>(domain, services);

    public DomainQueue(string domain, QueueServices services)
    {
        _domain = domain;
        _services = services;
        _settings = services.Settings;
        _destination = new DestinationState(services.Settings.Retry);
        PersistenceId = $"domain-queue-{domain}";

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is DomainQueueSnapshot snapshot) _state = DomainQueueState.From(snapshot);
        });
        Recover<ITunnelMessage>(e => _state.Apply(e));
        Recover<RecoveryCompleted>(_ => Resume());

        Command<Enqueue>(Enqueue);
        Command<CancelEnqueue>(Cancel);
        Command<BodyStored>(stored => BodyArrived(stored.Id, confirmed: true));
        Command<BodyWaitOver>(over => BodyArrived(over.Id, confirmed: false));
        Command<InspectQueue>(Inspect);
        Command<RetryNow>(Retry);
        Command<DeleteMessage>(Delete);
        Command<QueuedMessage.AttemptDue>(due => RequestSlot(due.Id));
        Command<QueuedMessage.AttemptFinished>(Finished);
        Command<ProbeDue>(_ => GrantSlots());
        Command<DelayNoticeSent>(sent => PersistFor(sent.Id, new DelayNotified(sent.Id), Apply));
        Command<NoticesSent>(sent =>
        {
            if (sent.Kinds.Length > 0) _services.MailLog.Notified(sent.Id, sent.Kinds);
            Release(sent.Id);
        });
        Command<NoticeFailed>(failed => RetryFinishLater(failed.Id, $"sending the DSN failed: {failed.Reason}"));
        Command<SpoolReleased>(released => Removed(released.Id));
        Command<SpoolReleaseFailed>(failed => RetryFinishLater(failed.Id, $"releasing the spooled body failed: {failed.Reason}"));
        Command<RetryFinish>(retry =>
        {
            _finishing.Remove(retry.Id);
            Finish(retry.Id);
        });
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

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    /// <summary>
    /// After recovery: wake every waiting message and finish interrupted removals. An attempt
    /// that a crash cut short left no event, so its message is due as it was: nothing waits out
    /// a backoff it did not earn.
    /// </summary>
    private void Resume()
    {
        ReportDepth();
        foreach (var message in _state.Messages)
        {
            if (message.Removing) Finish(message.Id);
            else StartChild(message);
        }
        SetReceiveTimeout(_settings.PassivateAfter);
    }

    private void Enqueue(Enqueue command)
    {
        if (_state.Find(command.Id) is not null)
        {
            // A retried Enqueue (a resubmitted DSN, a late first one): same answer, no second copy.
            Sender.Tell(new EnqueueAccepted(_domain, command.Id));
            return;
        }
        if (_persisting.ContainsKey(command.Id))
        {
            // The same, while the first one's event is still being written: answer once it is durable.
            DeferAsync(command, c => Sender.Tell(new EnqueueAccepted(_domain, c.Id)));
            return;
        }
        var enqueued = new MessageEnqueued(command.Id, command.Envelope, command.Recipients, command.Size, command.ReceivedAt);
        PersistFor(command.Id, enqueued, e =>
        {
            Apply(e);
            Sender.Tell(new EnqueueAccepted(_domain, e.Id));
            _services.MailLog.Queued(e.Id, _domain, e.Recipients.Count);
            AwaitBody(e.Id);
        });
    }

    /// <summary>
    /// Ingress stores the body while we store the envelope (<see cref="Submission"/>), so a new
    /// message waits for <see cref="BodyStored"/> before its first attempt. Should the word never
    /// come (the ingress node died), the message is attempted after twice the enqueue timeout
    /// anyway: by then the body is either stored or never will be, and the attempt finds out.
    /// </summary>
    private void AwaitBody(MessageId id)
    {
        _awaitingBody.Add(id);
        Timers.StartSingleTimer(BodyTimer(id), new BodyWaitOver(id), 2 * _settings.EnqueueTimeout);
    }

    private static string BodyTimer(MessageId id) => $"body-{id}";

    private void BodyArrived(MessageId id, bool confirmed)
    {
        if (!_awaitingBody.Remove(id)) return; // a repeated submission, or already cancelled
        Timers.Cancel(BodyTimer(id));
        if (!confirmed) _log.Warning("No word from ingress about the body of {0} for {1}: attempting it anyway", id, _domain);
        if (_state.Find(id) is { Removing: false } message) StartChild(message);
    }

    private void Cancel(CancelEnqueue command)
    {
        if (_state.Find(command.Id) is null)
        {
            // Its MessageEnqueued is still being written: cancel once it is.
            if (_persisting.ContainsKey(command.Id)) DeferAsync(command, Cancel);
            return;
        }
        PersistFor(command.Id, new MessageCancelled(command.Id), e =>
        {
            Apply(e);
            StopChild(e.Id);
            _services.MailLog.Cancelled(e.Id, _domain);
        });
    }

    /// <summary>The operator's view (<c>tunnel queue list/show/stats</c>): read-only, from the state as it is.</summary>
    private void Inspect(InspectQueue query)
    {
        var messages = _state.Messages
            .Where(m => query.Id is null || m.Id == query.Id)
            .OrderBy(m => m.ReceivedAt)
            .Select(m => new QueuedMessageView(m.Id, m.Envelope, m.Recipients, m.Outcomes, m.Size, m.ReceivedAt, m.Attempts,
                m.Removing ? null : m.NextAttemptAt, query.Id is null ? [] : m.History.ToList()))
            .ToList();
        Sender.Tell(new QueueInspected(_domain, _destination.DownUntil, messages));
    }

    /// <summary>
    /// <c>tunnel queue retry</c>: the messages are due now, like Postfix's <c>postqueue -f</c>.
    /// Their children are told so; they ask for slots as always, so the concurrency limit still
    /// holds. Nothing is persisted: a retry changes no state, it only brings an attempt forward.
    /// </summary>
    private void Retry(RetryNow command)
    {
        var now = Now;
        var due = _state.Messages.Where(m => !m.Removing && (command.Id is null || m.Id == command.Id)).ToList();
        var probe = _destination.IsDown && due.Count > 0;
        if (probe) _destination.ProbeNow(now);
        foreach (var message in due)
            if (_children.TryGetValue(message.Id, out var child)) child.Tell(new QueuedMessage.ScheduleAttempt(now));
        if (due.Count > 0) _services.MailLog.OperatorRetry(_domain, due.Count, probe);
        Sender.Tell(new RetryScheduled(_domain, due.Count));
        GrantSlots();
    }

    /// <summary>
    /// <c>tunnel queue delete</c>: persist the deletion, then finish the message as any other
    /// (DSN when asked for, spool release, <see cref="MessageRemoved"/>). An attempt in flight
    /// is abandoned: stopping its child cancels it.
    /// </summary>
    private void Delete(DeleteMessage command)
    {
        if (_state.Find(command.Id) is not { } message)
        {
            Sender.Tell(new DeleteAccepted(_domain, command.Id, Found: false));
            return;
        }
        var sender = Sender;
        Persist(new MessageDeleted(command.Id, Now, command.Bounce), e =>
        {
            var waiting = message.Outcomes.Where(o => !o.IsFinal).Select(o => o.Recipient).ToHashSet();
            Apply(e);
            _services.MailLog.OperatorDeleted(e.Id, _domain, e.Bounce);
            foreach (var outcome in message.Outcomes.Where(o => waiting.Contains(o.Recipient)))
                _services.MailLog.Outcome(e.Id, outcome, e.At - message.ReceivedAt, deletedSilently: !e.Bounce);
            if (_inFlight.Remove(e.Id)) _destination.ProbeAbandoned();
            sender.Tell(new DeleteAccepted(_domain, e.Id, Found: true));
            Finish(e.Id);
            GrantSlots();
        });
    }

    private void RequestSlot(MessageId id)
    {
        if (_state.Find(id) is not { Removing: false } || _inFlight.Contains(id) || _waiting.Contains(id)) return;
        _waiting.Enqueue(id);
        GrantSlots();
    }

    /// <summary>
    /// Grants attempts in arrival order up to the concurrency limit; while the destination is
    /// down, one probe at a time once its backoff has passed. Messages past their lifetime that
    /// are stuck behind a down destination fail here without an attempt.
    /// </summary>
    private void GrantSlots()
    {
        var now = Now;
        if (_destination.IsDown) ExpireWaiting(now);
        var allowed = _destination.Slots(now, _settings.ConcurrencyPerDomain, _inFlight.Count);
        while (allowed-- > 0 && _waiting.TryDequeue(out var id))
        {
            if (_state.Find(id) is not { Removing: false } message || !_children.TryGetValue(id, out var child)) { allowed++; continue; }
            _inFlight.Add(id);
            if (_destination.IsDown) _destination.ProbeStarted();
            child.Tell(new QueuedMessage.Attempt(message.Envelope, message.PendingRecipients));
        }
        if (_destination.IsDown && _waiting.Count > 0 && _destination.DownUntil is { } until && until > now)
            Timers.StartSingleTimer("probe", new ProbeDue(), until - now);
    }

    private void ExpireWaiting(DateTimeOffset now)
    {
        foreach (var id in _waiting.ToList())
        {
            if (_state.Find(id) is not { Removing: false } message || _persisting.ContainsKey(id)
                || !DomainQueueState.IsExpired(message, now, _settings)) continue;
            Record(message, DomainQueueState.Expired(message, now, _settings));
        }
    }

    private void Finished(QueuedMessage.AttemptFinished finished)
    {
        _inFlight.Remove(finished.Id);
        if (finished.Report.BodyMissing && _state.Find(finished.Id) is { Removing: false } && !_persisting.ContainsKey(finished.Id))
        {
            // Bodies are released only after their last recipient is final, so a missing one was
            // never stored: the submission did not complete and its client got no 250.
            PersistFor(finished.Id, new MessageCancelled(finished.Id), e =>
            {
                Apply(e);
                StopChild(e.Id);
                _services.MailLog.NeverStored(e.Id, _domain);
            });
            GrantSlots();
            return;
        }
        var now = Now;
        _destination.AttemptEnded(finished.Report.DestinationDown, now);
        if (_destination.IsDown) _services.MailLog.DestinationDown(_domain, _destination.DownUntil!.Value);
        if (_state.Find(finished.Id) is { Removing: false } message)
            Record(message, DomainQueueState.Attempted(message, finished.Report.Outcomes, now, _settings, Random.Shared.NextDouble()));
        GrantSlots();
    }

    /// <summary>Persists an attempt's outcome, then moves the message on: finish it, or wait and warn.</summary>
    private void Record(QueuedMessageState message, DeliveryAttempted attempted)
    {
        PersistFor(message.Id, attempted, e =>
        {
            Apply(e);
            foreach (var outcome in e.Outcomes) _services.MailLog.Outcome(e.Id, outcome, e.At - message.ReceivedAt);
            if (message.Removing)
            {
                Finish(e.Id);
                return;
            }
            if (_children.TryGetValue(e.Id, out var child) && e.NextAttemptAt is { } next)
                child.Tell(new QueuedMessage.ScheduleAttempt(next));
            if (Notices.Delay(message, e.At, _settings) is { } delay) SendDelayNotice(message, delay, e.At);
        });
    }

    private void SendDelayNotice(QueuedMessageState message, Notice notice, DateTimeOffset now)
    {
        var id = message.Id;
        _services.Bouncer.SendAsync(message, notice, now, CancellationToken.None).PipeTo(Self,
            success: _ => new DelayNoticeSent(id),
            // Not sent now: the next attempt of a still-waiting message asks again.
            failure: e => new NoticeFailed(id, e.GetBaseException().Message));
    }

    /// <summary>
    /// Every recipient here is final: send the DSNs the message owes (recomputed from the state,
    /// so a crash before they went out sends them after recovery, under the same ids), then drop
    /// our reference to the body, then forget the message.
    /// </summary>
    private void Finish(MessageId id)
    {
        if (_state.Find(id) is not { Removing: true } message || !_finishing.Add(id)) return;
        StopChild(id);
        var notices = message.Silent ? [] : Notices.Final(message);
        if (!message.Silent && message.Envelope.Sender is null && message.Outcomes.Any(o => o.Status == RecipientStatus.Failed))
            _services.MailLog.NotBounced(id, "the sender is <>: a bounce is never bounced (RFC 5321 §4.5.5)");
        var now = Now;
        var kinds = string.Join(",", notices.Select(n => n.Kind));
        SendAllAsync(message, notices, now).PipeTo(Self,
            success: () => new NoticesSent(id, kinds),
            failure: e => new NoticeFailed(id, e.GetBaseException().Message));
    }

    private async Task SendAllAsync(QueuedMessageState message, IReadOnlyList<Notice> notices, DateTimeOffset now)
    {
        foreach (var notice in notices) await _services.Bouncer.SendAsync(message, notice, now, CancellationToken.None);
    }

    private void Release(MessageId id)
    {
        _services.Spool.ReleaseAsync(id, _domain, CancellationToken.None).PipeTo(Self,
            success: () => new SpoolReleased(id),
            failure: e => new SpoolReleaseFailed(id, e.GetBaseException().Message));
    }

    private void Removed(MessageId id)
    {
        if (_state.Find(id) is null)
        {
            _finishing.Remove(id);
            return;
        }
        PersistFor(id, new MessageRemoved(id), e =>
        {
            _finishing.Remove(e.Id);
            Apply(e);
            _services.MailLog.Removed(e.Id, _domain);
        });
    }

    private void RetryFinishLater(MessageId id, string reason)
    {
        _log.Warning("Finishing {0} for {1}: {2}; retrying in {3}", id, _domain, reason, FinishRetryDelay);
        Timers.StartSingleTimer($"finish-{id}", new RetryFinish(id), FinishRetryDelay);
    }

    /// <summary>
    /// Persists an event of one message without holding up the queue's other commands
    /// (PersistAsync): the events of many messages then reach the journal together, in one
    /// transaction, instead of one commit each after the other. Until its handler ran, the
    /// event is not in the state, so whatever could act on the message twice checks
    /// <see cref="_persisting"/> first (a retried Enqueue, a cancel, an expiry, passivation).
    /// </summary>
    private void PersistFor<TEvent>(MessageId id, TEvent @event, Action<TEvent> handler) where TEvent : ITunnelMessage
    {
        _persisting[id] = _persisting.GetValueOrDefault(id) + 1;
        PersistAsync(@event, e =>
        {
            if (--_persisting[id] == 0) _persisting.Remove(id);
            handler(e);
        });
    }

    private void Apply(ITunnelMessage @event)
    {
        _state.Apply(@event);
        ReportDepth();
        if (++_eventsSinceSnapshot < _settings.SnapshotEvery) return;
        _eventsSinceSnapshot = 0;
        SaveSnapshot(_state.ToSnapshot());
    }

    private void ReportDepth() =>
        _services.MailLog.Metrics.QueueChanged(_domain, _state.Messages.Count, _state.OldestReceivedAt);

    protected override void PostStop()
    {
        _services.MailLog.Metrics.QueueStopped(_domain);
        base.PostStop();
    }

    private void StartChild(QueuedMessageState message)
    {
        if (_children.ContainsKey(message.Id)) return;
        var child = Context.ActorOf(Akka.Actor.Props.Create<QueuedMessage>(_domain, message.Id, message.NextAttemptAt, _services),
            message.Id.Value);
        _children[message.Id] = child;
    }

    private void StopChild(MessageId id)
    {
        if (_awaitingBody.Remove(id)) Timers.Cancel(BodyTimer(id));
        if (_children.Remove(id, out var child)) Context.Stop(child);
    }

    /// <summary>
    /// An empty queue stops itself after a quiet period. Through the shard this also removes it
    /// from the remembered entities, so it is not restarted until mail for the domain arrives.
    /// </summary>
    private void PassivateIfIdle()
    {
        if (_state.IsEmpty && _inFlight.Count == 0 && _children.Count == 0 && _finishing.Count == 0 && _persisting.Count == 0)
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }
}
