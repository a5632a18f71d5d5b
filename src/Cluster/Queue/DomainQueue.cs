using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Tunnel.Messages;
using Tunnel.Messages.Admin;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// The queue of one destination domain, or of one sub-queue of a split domain (entity id
/// <c>domain#i</c>, see <see cref="QueueSplit"/>): a persistent, sharded entity (remember-entities
/// keeps it running somewhere while it holds mail). A sub-queue is a queue like any other, with
/// its own journal, slots and destination state; it reads and releases its domain's reference
/// rows, and adopts from the outbox only the rows that name it. Its rules are <see cref="DomainQueueMachine"/>'s;
/// this actor is the plumbing around them: it turns messages into inputs, persists the events a
/// step decided, runs the step's actions once they are durable (attempts as
/// <see cref="QueuedMessage"/> children, spool and DSN work, replies, the mail log), keeps the
/// one timer the machine asks for, and keeps the journal short (snapshots spaced by the size of
/// the queue; nothing left of an idle queue but the journal's own marker).
/// </summary>
public sealed class DomainQueue : ReceivePersistentActor, IWithTimers
{
    private sealed record Wake;
    private sealed record FlushMarks;
    /// <summary>Sub-queue 0 looks at its backlog (split-growth); does not keep an idle queue from passivating.</summary>
    private sealed record CheckGrowth : INotInfluenceReceiveTimeout;

    /// <summary>Adoption marks wait this long, so a message delivered at once never needs one.</summary>
    private static readonly TimeSpan MarkDelay = TimeSpan.FromSeconds(5);

    private readonly string _domain;
    private readonly string _queue;
    private readonly int _part;
    private readonly QueueServices _services;
    private readonly QueueSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly DomainQueueMachine _machine;
    private readonly Dictionary<MessageId, (long Token, IActorRef Child)> _attempts = new();
    private readonly List<MessageId> _toMark = [];
    private DateTimeOffset? _wakeAt;
    private long _eventsSinceSnapshot;
    private bool _passivating;
    private readonly SplitGrowth? _growth;

    public static Props Props(string queue, QueueServices services) =>
        Akka.Actor.Props.Create<DomainQueue>(queue, services);

    /// <param name="queue">The entity id: the domain, or <c>domain#i</c> for a sub-queue.</param>
    public DomainQueue(string queue, QueueServices services)
    {
        _queue = queue;
        _domain = QueueName.DomainOf(queue);
        _part = QueueName.PartOf(queue);
        _services = services;
        _settings = services.Settings;
        _machine = new DomainQueueMachine(_domain, services.Settings, Random.Shared.NextDouble);
        // Sub-queue 0 is the plain queue: its journal is the one the domain always had.
        PersistenceId = $"domain-queue-{queue}";
        // Sub-queue 0 decides for its domain whether the split grows with the backlog.
        _growth = _part == 0 && _settings.SplitGrowth.Enabled ? new SplitGrowth(_settings.SplitGrowth) : null;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is DomainQueueSnapshot snapshot) _machine.Recover(snapshot);
        });
        Recover<ITunnelMessage>(e =>
        {
            _machine.Recover(e);
            _eventsSinceSnapshot++;
        });
        Recover<RecoveryCompleted>(_ =>
        {
            SetReceiveTimeout(_settings.PassivateAfter);
            if (_growth is not null) Timers.StartPeriodicTimer("split-growth", new CheckGrowth(), _settings.SplitGrowth.CheckEvery);
            Step(new QueueInput.Recovered());
        });

        Command<NewMail>(mail => Step(new QueueInput.Arrived(mail)));
        Command<InspectQueue>(Inspect);
        Command<RetryNow>(retry => Step(new QueueInput.Retry(retry.Id)));
        Command<DeleteMessage>(delete => Step(new QueueInput.Delete(delete.Id, delete.Bounce)));
        Command<AdoptDestinationState>(told => Step(new QueueInput.DestinationReported(told.DownUntil, told.ReportedBy)));
        Command<QueueInput>(Step);
        Command<CheckGrowth>(_ => ObserveBacklog());
        Command<Wake>(_ =>
        {
            _wakeAt = null;
            Step(new QueueInput.Tick());
        });
        Command<FlushMarks>(_ => Mark());
        Command<ReceiveTimeout>(_ => Step(new QueueInput.IdleCheck()));
        Command<SaveSnapshotSuccess>(saved =>
        {
            // The snapshot holds everything up to it: older events and snapshots are not needed.
            // A queue about to stop waits for the events to be gone (DeleteMessagesSuccess).
            DeleteMessages(saved.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(failed =>
        {
            _log.Warning("Snapshot of {0} failed: {1}", PersistenceId, failed.Cause.Message);
            StopIfPassivating();
        });
        Command<DeleteMessagesSuccess>(_ => StopIfPassivating());
        Command<DeleteMessagesFailure>(failed =>
        {
            _log.Warning("Deleting old events of {0} failed: {1}", PersistenceId, failed.Cause.Message);
            StopIfPassivating();
        });
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => _log.Warning("Deleting old snapshots of {0} failed: {1}", PersistenceId, failed.Cause.Message));
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    /// <summary>
    /// Receive, ask the machine, persist, then act: a step's actions run only once its events are
    /// durable (PersistAllAsync keeps the queue taking commands meanwhile, so the events of many
    /// messages reach the journal together; DeferAsync keeps a step without events behind earlier
    /// ones). The machine already counts the step's events, so the next input is decided on them.
    /// </summary>
    private void Step(QueueInput input)
    {
        var sender = Sender;
        // The attempt's actor has stopped itself after its report.
        if (input is QueueInput.AttemptFinished finished && _attempts.TryGetValue(finished.Id, out var attempt) && attempt.Token == finished.Token)
            _attempts.Remove(finished.Id);
        var step = _machine.Handle(input, Now);
        if (input is QueueInput.Arrived) _passivating = false;
        if (step.Events.Count == 0)
        {
            DeferAsync(step, s => Run(s.Actions, sender));
        }
        else
        {
            var remaining = step.Events.Count;
            _eventsSinceSnapshot += remaining;
            PersistAllAsync(step.Events, _ =>
            {
                if (--remaining > 0) return;
                Run(step.Actions, sender);
                KeepJournalShort();
            });
        }
        ScheduleWake();
        _services.MailLog.Metrics.QueueChanged(_queue, _machine.State.Count, _machine.State.OldestReceivedAt, _machine.InFlight.Count, _machine.Destination.IsDown);
    }

    private void Run(IReadOnlyList<QueueAction> actions, IActorRef sender)
    {
        foreach (var action in actions)
        {
            switch (action)
            {
                case QueueAction.StartAttempt start:
                    var child = Context.ActorOf(QueuedMessage.Props(_domain, start, _services), $"{start.Id}-{start.Token}");
                    _attempts[start.Id] = (start.Token, child);
                    break;
                case QueueAction.CancelAttempt cancel:
                    if (_attempts.TryGetValue(cancel.Id, out var running) && running.Token == cancel.Token)
                    {
                        _attempts.Remove(cancel.Id);
                        Context.Stop(running.Child);
                    }
                    break;
                case QueueAction.ScanOutbox scan:
                    _services.Spool.UnadoptedAsync(_domain, before: null, scan.Limit, CancellationToken.None, _part).PipeTo(Self,
                        success: found => new QueueInput.ScanFinished(found, null),
                        failure: e => new QueueInput.ScanFinished([], e.GetBaseException().Message));
                    break;
                case QueueAction.CheckOwned check:
                    _services.Spool.IsOwedAsync(check.Id, _domain, CancellationToken.None).PipeTo(Self,
                        success: owned => new QueueInput.OwnershipChecked(check.Id, owned),
                        failure: e => new QueueInput.StepFailed(check.Id, DomainQueueMachine.CheckingOwnership, e.GetBaseException().Message));
                    break;
                case QueueAction.MarkAdopted mark:
                    if (_toMark.Count == 0) Timers.StartSingleTimer("mark", new FlushMarks(), MarkDelay);
                    _toMark.Add(mark.Id);
                    break;
                case QueueAction.SendNotices send:
                    SendNotices(send);
                    break;
                case QueueAction.SendDelayNotice delay:
                    _services.Bouncer.SendAsync(delay.Id, _domain, delay.Envelope, delay.ReceivedAt, delay.Notice, Now, CancellationToken.None)
                        .PipeTo(Self, success: _ => new QueueInput.DelayNoticeSent(delay.Id),
                            failure: e => new QueueInput.StepFailed(delay.Id, "delay notice", e.GetBaseException().Message));
                    break;
                case QueueAction.Release release:
                    _services.Spool.ReleaseAsync(release.Id, _domain).PipeTo(Self,
                        success: () => new QueueInput.Released(release.Id),
                        failure: e => new QueueInput.StepFailed(release.Id, "releasing the spooled body", e.GetBaseException().Message));
                    break;
                case QueueAction.Reply reply:
                    sender.Tell(reply.Answer);
                    break;
                case QueueAction.ShareDestination share:
                    TellSiblings(share.DownUntil);
                    break;
                case QueueAction.Log log:
                    Write(log.Entry);
                    break;
                case QueueAction.Warn warn:
                    _log.Warning(warn.Text);
                    break;
                case QueueAction.Passivate:
                    // Decided behind earlier writes: mail may have come meanwhile.
                    if (_machine.IsIdle) Passivate();
                    break;
            }
        }
    }

    private void Write(QueueLogEntry entry)
    {
        var mailLog = _services.MailLog;
        switch (entry)
        {
            case QueueLogEntry.Queued e: mailLog.Queued(e.Id, _domain, e.Recipients); break;
            case QueueLogEntry.Outcome e: mailLog.Outcome(e.Id, e.Disposition, e.Delay, e.DeletedSilently); break;
            case QueueLogEntry.DestinationDown e: mailLog.DestinationDown(_domain, e.Until); break;
            case QueueLogEntry.DestinationReported e: mailLog.DestinationReported(_domain, _part, e.Until, e.ReportedBy); break;
            case QueueLogEntry.Dropped e: mailLog.Dropped(e.Id, _domain, e.Reason); break;
            case QueueLogEntry.Notified e: mailLog.Notified(e.Id, e.Kinds); break;
            case QueueLogEntry.NotBounced e: mailLog.NotBounced(e.Id, e.Reason); break;
            case QueueLogEntry.OperatorRetry e: mailLog.OperatorRetry(_domain, e.Messages, e.Probe); break;
            case QueueLogEntry.OperatorDeleted e: mailLog.OperatorDeleted(e.Id, _domain, e.Bounce); break;
            case QueueLogEntry.Removed e: mailLog.Removed(e.Id, _domain); break;
        }
    }

    /// <summary>
    /// The other sub-queues of this domain under the split as it is now (parts 0 to k − 1, not
    /// this one) learn what this one found of the destination they share; an unsplit domain
    /// tells nobody. A sibling with nothing queued starts for it, takes it and stops again when
    /// idle, as any queue does: what it was told lives as long as it does.
    /// </summary>
    private void TellSiblings(DateTimeOffset? downUntil)
    {
        var parts = _settings.Split.PartsOf(_domain);
        if (parts <= 1 || _services.Queues is not { } queues) return;
        var region = queues();
        for (var part = 0; part < parts; part++)
            if (part != _part)
                region.Tell(new AdoptDestinationState(QueueName.Of(_domain, part), downUntil, _part), ActorRefs.NoSender);
    }

    private void SendNotices(QueueAction.SendNotices send)
    {
        var (bouncer, domain, now) = (_services.Bouncer, _domain, Now);
        Task.Run(async () =>
        {
            var stored = new List<string>();
            foreach (var notice in send.Notices)
                if (await bouncer.SendAsync(send.Id, domain, send.Envelope, send.ReceivedAt, notice, now, CancellationToken.None) is not null)
                    stored.Add(notice.Kind);
            return string.Join(",", stored);
        }).PipeTo(Self,
            success: kinds => new QueueInput.NoticesSent(send.Id, kinds),
            failure: e => new QueueInput.StepFailed(send.Id, "sending the DSN", e.GetBaseException().Message));
    }

    /// <summary>
    /// The outbox learns in bulk which of its references this queue holds, a few seconds late:
    /// a message delivered meanwhile has no reference left to mark. Marks still waiting when the
    /// queue stops are dropped; the node's sweep then tells the queue again, which is harmless.
    /// </summary>
    private void Mark()
    {
        var ids = _toMark.Where(id => _machine.State.Find(id) is not null).Distinct().ToList();
        _toMark.Clear();
        if (ids.Count == 0) return;
        var (log, domain) = (_log, _domain);
        _services.Spool.MarkAdoptedAsync(_domain, ids).ContinueWith(t =>
        {
            if (t.IsFaulted) log.Warning("Marking {0} references of {1} adopted failed: {2}", ids.Count, domain, t.Exception!.GetBaseException().Message);
        }, TaskScheduler.Default);
    }

    private void ScheduleWake()
    {
        var at = _machine.NextWakeUp();
        if (at == _wakeAt) return;
        _wakeAt = at;
        if (at is not { } time) Timers.Cancel("wake");
        else Timers.StartSingleTimer("wake", new Wake(), time > Now ? time - Now : TimeSpan.Zero);
    }

    /// <summary>
    /// Snapshots are spaced by the size of the queue (at least snapshot-every events apart, and
    /// never more often than one event per message it holds), so a big backlog costs a constant
    /// amount of snapshot writing per event, not one whole-queue rewrite every N events. A
    /// snapshot may include events still being written: each records something that happened,
    /// and recovery redoes whatever was to follow it (see <see cref="DomainQueueMachine"/>).
    /// </summary>
    private void KeepJournalShort()
    {
        if (_eventsSinceSnapshot < Math.Max(_settings.SnapshotEvery, _machine.State.Count)) return;
        _eventsSinceSnapshot = 0;
        SaveSnapshot(_machine.State.ToSnapshot());
    }

    /// <summary>
    /// An empty, quiet queue stops. Through the shard this also removes it from the remembered
    /// entities, so it is not restarted until mail for the domain arrives. Its history goes
    /// first: an empty snapshot, then every event and older snapshot is deleted, so an idle
    /// domain keeps a constant number of rows whatever it carried.
    /// </summary>
    private void Passivate()
    {
        _passivating = true;
        // An idle domain needs no grown split: new mail starts again from the configured one.
        var split = _settings.Split;
        if (_growth is not null && split.PartsOf(_domain) > split.ConfiguredPartsOf(_domain))
            TellSplitRegistry(split.ConfiguredPartsOf(_domain), "its queue is empty and idle");
        if (_eventsSinceSnapshot == 0)
        {
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
            return;
        }
        _eventsSinceSnapshot = 0;
        SaveSnapshot(_machine.State.ToSnapshot());
    }

    /// <summary>
    /// Split-growth: counts the due messages no attempt has taken (up to what makes a backlog)
    /// and lets the rule decide whether the domain's split doubles or halves now.
    /// </summary>
    private void ObserveBacklog()
    {
        var now = Now;
        var settings = _settings.SplitGrowth;
        var enough = (long)settings.BacklogPerSlot * _settings.ConcurrencyPerDomain + 1;
        var waiting = 0;
        foreach (var message in _machine.State.ByNextAttempt)
        {
            if (message.NextAttemptAt > now || waiting >= enough) break;
            if (!_machine.InFlight.ContainsKey(message.Id)) waiting++;
        }
        var split = _settings.Split;
        var (configured, current) = (split.ConfiguredPartsOf(_domain), split.PartsOf(_domain));
        if (_growth!.Observe(configured, current, waiting, _settings.ConcurrencyPerDomain, now) is not { } parts) return;
        TellSplitRegistry(parts, parts > current
            ? $"more than {settings.BacklogPerSlot} due messages per attempt slot waiting in sub-queue 0 for {settings.After.TotalSeconds:0.#} s"
            : $"no backlog for {settings.ShrinkAfter.TotalSeconds:0.#} s");
    }

    private void TellSplitRegistry(int parts, string why)
    {
        _services.MailLog.SplitChanged(_domain, parts, why);
        Context.System.ActorSelection($"/user/{SplitRegistry.Name}")
            .Tell(new SplitRegistry.Grow(_domain, parts, _settings.Split.ConfiguredPartsOf(_domain), why));
    }

    private void StopIfPassivating()
    {
        if (_passivating) Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    /// <summary>The operator's view (<c>tunnel queue list/show/stats</c>): read-only, from the state as it is.</summary>
    private void Inspect(InspectQueue query)
    {
        IEnumerable<QueuedMessageState> messages = query.Id is { } id
            ? _machine.State.Find(id) is { } one ? [one] : []
            : _machine.State.ByArrival;
        var views = messages
            .Select(m => new QueuedMessageView(m.Id, m.Envelope, m.Recipients, m.Outcomes, m.Size, m.ReceivedAt, m.Attempts,
                m.Removing ? null : m.NextAttemptAt, query.Id is null ? [] : m.History.ToList()))
            .ToList();
        Sender.Tell(new QueueInspected(_queue, _machine.Destination.DownUntil, views));
    }

    protected override void PostStop()
    {
        _services.MailLog.Metrics.QueueStopped(_queue);
        base.PostStop();
    }
}
