using Tunnel.Cluster.Bounces;
using Tunnel.Cluster.Outbound;
using Tunnel.Cluster.Queue;
using Tunnel.Messages;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Tests.Unit.Queue;

/// <summary>
/// One DomainQueue's world, simulated: the machine under test, driven exactly as the actor
/// drives it (a step's events are written in order, its actions run only once they are durable,
/// a step without events waits behind earlier ones), a journal with snapshots, the spool's
/// outbox (reference rows per domain, bodies, adoption marks, DSN guards), the attempts and
/// other work in progress, a clock, crashes (only what was durable survives) and passivation.
/// It checks the queue's invariants after every operation and records what a mail operator
/// would count: physical deliveries, DSNs, final dispositions.
/// </summary>
public sealed class QueueWorld
{
    public const string Domain = "example.com";
    public static readonly DateTimeOffset Start = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static readonly QueueSettings Settings = new(
        new RetrySchedule(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(40), Jitter: 0.1),
        Lifetime: TimeSpan.FromHours(3), DelayWarningAfter: TimeSpan.FromMinutes(30), ConcurrencyPerDomain: 2, Shards: 1,
        SnapshotEvery: 10, PassivateAfter: TimeSpan.FromMinutes(2), EnqueueTimeout: TimeSpan.FromSeconds(10),
        AttemptTimeout: TimeSpan.FromMinutes(10), ReportingMta: "tunnel.test", MaxReturnedSize: 1000);

    private readonly Random _random;
    private readonly List<string> _trace = [];
    private readonly List<PendingStep> _pending = [];
    private readonly List<Work> _work = [];
    private readonly List<MessageId> _marks = [];
    private readonly List<(long Seq, ITunnelMessage Event)> _journal = [];
    private (long Seq, DomainQueueSnapshot State)? _snapshot;
    private long _nextSeq = 1;
    private int _messages;

    public QueueWorld(int seed) => _random = new Random(seed);

    public DateTimeOffset Now { get; private set; } = Start;
    public DomainQueueMachine? Machine { get; private set; }

    /// <summary>Reference rows: (message, domain) → the envelope, adoption mark and the DSN kinds recorded.</summary>
    public Dictionary<(MessageId Id, string Domain), Reference> References { get; } = new();
    public HashSet<MessageId> Bodies { get; } = [];
    public Dictionary<MessageId, NewMail> Accepted { get; } = new();
    public Dictionary<(MessageId Id, Mailbox Recipient), int> Delivered { get; } = new();
    public Dictionary<(MessageId Id, string Domain, string Kind), List<Mailbox>> Dsns { get; } = new();
    public Dictionary<(MessageId Id, Mailbox Recipient), (RecipientOutcome Outcome, bool Silent)> Ledger { get; } = new();
    /// <summary>What the queue told its sibling sub-queues, in order: down until a time, or up (null).</summary>
    public List<DateTimeOffset?> Shared { get; } = [];
    public int Duplicates => Delivered.Values.Sum(n => Math.Max(0, n - 1));
    public IReadOnlyList<string> Trace => _trace;

    public sealed class Reference(NewMail mail)
    {
        public NewMail Mail { get; } = mail;
        public bool Adopted { get; set; }
        public HashSet<string> Notified { get; } = [];
    }

    private sealed record PendingStep(IReadOnlyList<ITunnelMessage> Events, IReadOnlyList<QueueAction> Actions);

    private abstract record Work
    {
        public sealed record Attempt(QueueAction.StartAttempt Start) : Work;
        public sealed record Scan(IReadOnlyList<NewMail> Found) : Work;
        public sealed record Notices(QueueAction.SendNotices Send) : Work;
        public sealed record DelayNotice(QueueAction.SendDelayNotice Send) : Work;
        public sealed record Release(MessageId Id) : Work;
        public sealed record Check(MessageId Id) : Work;
    }

    // ---------------------------------------------------------------- operations

    public void Apply(QueueOp op)
    {
        _trace.Add($"{Now:HH:mm:ss} {op}");
        switch (op)
        {
            case QueueOp.Mail mail: NewMessage(mail); break;
            case QueueOp.Durable durable: MakeDurable(durable.Steps); break;
            case QueueOp.FinishAttempt finish: FinishAttempt(finish.Pick, finish.Outcome); break;
            case QueueOp.FinishWork finish: FinishWork(finish.Pick, finish.Success); break;
            case QueueOp.FlushMarks: FlushMarks(); break;
            case QueueOp.Advance advance: Advance(Now + TimeSpan.FromMinutes(advance.Minutes)); break;
            case QueueOp.Retry retry:
                Feed(new QueueInput.Retry(retry.Pick is { } pick && Accepted.Count > 0 ? Pick(Accepted.Keys.ToList(), pick) : null));
                break;
            case QueueOp.Delete delete: if (Accepted.Count > 0) Feed(new QueueInput.Delete(Pick(Accepted.Keys.ToList(), delete.Pick), delete.Bounce)); break;
            case QueueOp.OtherRelease other: OtherDomainReleases(other.Pick); break;
            case QueueOp.LateNotice late: if (Accepted.Count > 0) Feed(new QueueInput.Arrived(Accepted[Pick(Accepted.Keys.ToList(), late.Pick)])); break;
            case QueueOp.SiblingDown down: Feed(new QueueInput.DestinationReported(Now + TimeSpan.FromMinutes(down.Minutes), ReportedBy: 1)); break;
            case QueueOp.SiblingUp: Feed(new QueueInput.DestinationReported(null, ReportedBy: 1)); break;
            case QueueOp.Sweep: Sweep(TimeSpan.FromMinutes(1)); break;
            case QueueOp.Snapshot: TakeSnapshot(); break;
            case QueueOp.Idle: if (Machine is not null) Feed(new QueueInput.IdleCheck()); break;
            case QueueOp.Crash crash: Crash(crash.AttemptsDelivered); break;
        }
        CheckInvariants();
    }

    private void NewMessage(QueueOp.Mail op)
    {
        var id = new MessageId($"01M{++_messages:D17}");
        var recipients = Enumerable.Range(0, op.Recipients)
            .Select(i => new Recipient(new Mailbox($"r{i}", Domain), op.Notify)).ToList();
        var mail = new NewMail(Domain, id, new Envelope(op.NullSender ? null : new Mailbox("sender", "sender.example")), recipients, 100, Now);
        // The outbox: body and every domain's reference in one commit, then (maybe) the notice.
        Bodies.Add(id);
        References[(id, Domain)] = new Reference(mail);
        for (var d = 1; d <= op.OtherDomains; d++)
            References[(id, $"other{d}.example")] = new Reference(mail with { Domain = $"other{d}.example" }) { Adopted = true };
        Accepted[id] = mail;
        if (op.Notified) Feed(new QueueInput.Arrived(mail));
    }

    private void OtherDomainReleases(int pick)
    {
        var others = References.Keys.Where(k => k.Domain != Domain).ToList();
        if (others.Count == 0) return;
        var key = Pick(others, pick);
        ReleaseReference(key.Id, key.Domain);
    }

    private void ReleaseReference(MessageId id, string domain)
    {
        References.Remove((id, domain));
        if (!References.Keys.Any(k => k.Id == id)) Bodies.Remove(id);
    }

    /// <summary>The node's sweep: references no queue adopted for a while are told to their queue again.</summary>
    public void Sweep(TimeSpan olderThan)
    {
        foreach (var reference in References.Where(r => r.Key.Domain == Domain && !r.Value.Adopted && r.Value.Mail.ReceivedAt <= Now - olderThan)
                     .Select(r => r.Value.Mail).OrderBy(m => m.ReceivedAt).ToList())
            Feed(new QueueInput.Arrived(reference));
    }

    private void FlushMarks()
    {
        foreach (var id in _marks.Where(id => Machine?.State.Find(id) is not null))
            if (References.TryGetValue((id, Domain), out var reference)) reference.Adopted = true;
        _marks.Clear();
    }

    public void TakeSnapshot()
    {
        if (Machine is null) return;
        // As the actor does: the state as it is, events still being written included.
        _snapshot = (_nextSeq - 1, Machine.State.ToSnapshot());
        _journal.RemoveAll(e => e.Seq <= _snapshot.Value.Seq);
    }

    /// <summary>The process dies: what was not written is gone, attempts in flight may or may not have reached the MX.</summary>
    private void Crash(bool attemptsDelivered)
    {
        if (Machine is null) return;
        foreach (var attempt in _work.OfType<Work.Attempt>().Where(_ => attemptsDelivered))
            foreach (var recipient in attempt.Start.Recipients)
                CountDelivery(attempt.Start.Id, recipient.Address);
        _pending.Clear();
        _work.Clear();
        _marks.Clear();
        Machine = null;
        StartQueue(); // remember-entities: a queue that held mail runs again somewhere
    }

    private void StartQueue()
    {
        Machine = new DomainQueueMachine(Domain, Settings, _random.NextDouble);
        if (_snapshot is { } snapshot) Machine.Recover(snapshot.State);
        foreach (var (seq, e) in _journal.Where(e => _snapshot is null || e.Seq > _snapshot.Value.Seq).OrderBy(e => e.Seq)) Machine.Recover(e);
        Feed(new QueueInput.Recovered());
    }

    public void Advance(DateTimeOffset to)
    {
        for (var i = 0; i < 10_000 && Machine?.NextWakeUp() is { } wake && wake <= to; i++)
        {
            if (wake > Now) Now = wake;
            Feed(new QueueInput.Tick());
        }
        if (to > Now) Now = to;
    }

    // ---------------------------------------------------------------- the actor's plumbing

    /// <summary>
    /// An input to the queue, as the actor handles it; a stopped queue starts for mail and for a
    /// sibling's report (the shard starts the entity for any message to it) and drops the rest
    /// (dead letters, or the operator's answer "not here").
    /// </summary>
    public void Feed(QueueInput input)
    {
        if (Machine is null)
        {
            if (input is not (QueueInput.Arrived or QueueInput.DestinationReported)) return;
            StartQueue();
        }
        var step = Machine!.Handle(input, Now);
        if (input is QueueInput.DestinationReported && step.Actions.OfType<QueueAction.ShareDestination>().Any())
            throw new ModelViolation("a sibling's report was passed on: reports would echo between sub-queues");
        if (Machine.Destination.DownUntil > Now && step.Actions.OfType<QueueAction.StartAttempt>().Any())
            throw new ModelViolation($"an attempt started while the destination is down until {Machine.Destination.DownUntil:HH:mm:ss}");
        if (step.Events.Count > 0 || step.Actions.Count > 0)
            _trace.Add($"    {Name(input)} → {string.Join(", ", step.Events.Select(Name).Concat(step.Actions.Where(a => a is not QueueAction.Log).Select(Name)))}");
        if (step.Events.Count == 0 && _pending.Count == 0) Run(step.Actions);
        else _pending.Add(new PendingStep(step.Events.ToList(), step.Actions.ToList()));
        foreach (var _ in step.Events) _nextSeq++;
    }

    /// <summary>The journal confirms the next steps' writes; their actions run, in order.</summary>
    public void MakeDurable(int steps)
    {
        for (var i = 0; i < steps && _pending.Count > 0; i++)
        {
            var step = _pending[0];
            _pending.RemoveAt(0);
            var first = _nextSeq - _pending.Sum(p => p.Events.Count) - step.Events.Count;
            for (var e = 0; e < step.Events.Count; e++) _journal.Add((first + e, step.Events[e]));
            Run(step.Actions);
        }
    }

    private void Run(IReadOnlyList<QueueAction> actions)
    {
        foreach (var action in actions)
        {
            switch (action)
            {
                case QueueAction.StartAttempt start: _work.Add(new Work.Attempt(start)); break;
                case QueueAction.CancelAttempt cancel:
                    _work.RemoveAll(w => w is Work.Attempt a && a.Start.Id == cancel.Id && a.Start.Token == cancel.Token);
                    break;
                case QueueAction.ScanOutbox scan:
                    _work.Add(new Work.Scan(References.Where(r => r.Key.Domain == Domain && !r.Value.Adopted)
                        .Select(r => r.Value.Mail).OrderBy(m => m.ReceivedAt).Take(scan.Limit).ToList()));
                    break;
                case QueueAction.MarkAdopted mark: _marks.Add(mark.Id); break;
                case QueueAction.ShareDestination share: Shared.Add(share.DownUntil); break;
                case QueueAction.CheckOwned check: _work.Add(new Work.Check(check.Id)); break;
                case QueueAction.SendNotices send: _work.Add(new Work.Notices(send)); break;
                case QueueAction.SendDelayNotice send: _work.Add(new Work.DelayNotice(send)); break;
                case QueueAction.Release release:
                    RecordDisposition(release.Id);
                    _work.Add(new Work.Release(release.Id));
                    break;
                case QueueAction.Passivate:
                    if (!Machine!.IsIdle) break; // as the actor: mail may have come since it was decided
                    Passivate();
                    return;
            }
        }
    }

    /// <summary>An idle queue stops: an empty snapshot, its events deleted; writes still under way land, their handlers never run.</summary>
    private void Passivate()
    {
        TakeSnapshot();
        var first = _nextSeq - _pending.Sum(p => p.Events.Count);
        foreach (var e in _pending.SelectMany(p => p.Events)) _journal.Add((first++, e));
        _journal.RemoveAll(e => e.Seq <= _snapshot!.Value.Seq);
        _pending.Clear();
        _work.Clear();
        _marks.Clear();
        Machine = null;
    }

    /// <summary>What the queue says of each recipient when it lets the message go: checked once it is all over.</summary>
    private void RecordDisposition(MessageId id)
    {
        var message = Machine!.State.Find(id) ?? throw new ModelViolation($"release of {id}, which the queue does not hold");
        if (!message.Removing) throw new ModelViolation($"release of {id} while recipients still wait");
        foreach (var outcome in message.Outcomes)
        {
            var key = (id, outcome.Recipient);
            if (Ledger.TryGetValue(key, out var before) && before.Outcome.Status != outcome.Status)
                throw new ModelViolation($"{id} {outcome.Recipient} ended twice: {before.Outcome.Status}, then {outcome.Status}");
            Ledger[key] = (outcome, message.Silent);
        }
    }

    // ---------------------------------------------------------------- the effects' ends

    private void FinishAttempt(int pick, AttemptOutcome outcome)
    {
        var attempts = _work.OfType<Work.Attempt>().ToList();
        if (attempts.Count == 0) return;
        var attempt = Pick(attempts, pick);
        _work.Remove(attempt);
        Feed(new QueueInput.AttemptFinished(attempt.Start.Id, attempt.Start.Token, Report(attempt.Start, outcome)));
    }

    /// <summary>What the Courier would report: nothing sent without the domain's reference row, otherwise the MX's answers.</summary>
    private AttemptReport Report(QueueAction.StartAttempt start, AttemptOutcome outcome)
    {
        if (!References.ContainsKey((start.Id, Domain))) return new AttemptReport([], DestinationDown: false, NotOwed: true);
        var outcomes = start.Recipients.Select((r, i) =>
        {
            var status = outcome switch
            {
                AttemptOutcome.Delivered => RecipientStatus.Delivered,
                AttemptOutcome.Failed => RecipientStatus.Failed,
                AttemptOutcome.Mixed => (RecipientStatus)(1 + i % 3),
                _ => RecipientStatus.Deferred,
            };
            if (status == RecipientStatus.Delivered) CountDelivery(start.Id, r.Address);
            var dsn = status switch { RecipientStatus.Delivered => "2.0.0", RecipientStatus.Failed => "5.1.1", _ => "4.4.1" };
            return new RecipientOutcome(r.Address, status, dsn, $"{status} by the model", "mx.example.com[2001:db8::25]:25");
        }).ToList();
        return new AttemptReport(outcomes, DestinationDown: outcome == AttemptOutcome.Down, Owed: outcome != AttemptOutcome.Internal);
    }

    private void CountDelivery(MessageId id, Mailbox recipient) => Delivered[(id, recipient)] = Delivered.GetValueOrDefault((id, recipient)) + 1;

    private void FinishWork(int pick, bool success)
    {
        var work = _work.Where(w => w is not Work.Attempt).ToList();
        if (work.Count == 0) return;
        var item = Pick(work, pick);
        _work.Remove(item);
        switch (item)
        {
            case Work.Scan scan:
                Feed(new QueueInput.ScanFinished(success ? scan.Found : [], success ? null : "the database went away"));
                break;
            case Work.Notices notices when success:
                var stored = notices.Send.Notices.Where(n => StoreDsn(notices.Send.Id, n)).Select(n => n.Kind).ToList();
                Feed(new QueueInput.NoticesSent(notices.Send.Id, string.Join(",", stored)));
                break;
            case Work.Notices notices:
                Feed(new QueueInput.StepFailed(notices.Send.Id, "sending the DSN", "the database went away"));
                break;
            case Work.DelayNotice delay when success:
                StoreDsn(delay.Send.Id, delay.Send.Notice);
                Feed(new QueueInput.DelayNoticeSent(delay.Send.Id));
                break;
            case Work.DelayNotice delay:
                Feed(new QueueInput.StepFailed(delay.Send.Id, "delay notice", "the database went away"));
                break;
            case Work.Release release when success:
                ReleaseReference(release.Id, Domain);
                Feed(new QueueInput.Released(release.Id));
                break;
            case Work.Release release:
                Feed(new QueueInput.StepFailed(release.Id, "releasing the spooled body", "the database went away"));
                break;
            case Work.Check check when success:
                Feed(new QueueInput.OwnershipChecked(check.Id, References.ContainsKey((check.Id, Domain))));
                break;
            case Work.Check check:
                Feed(new QueueInput.StepFailed(check.Id, DomainQueueMachine.CheckingOwnership, "the database went away"));
                break;
        }
    }

    /// <summary>The outbox's guard, as SpoolWriter does it: one DSN per (original, domain, kind), recorded on the original's reference.</summary>
    private bool StoreDsn(MessageId id, Notice notice)
    {
        if (!References.TryGetValue((id, Domain), out var reference) || !reference.Notified.Add(notice.Kind)) return false;
        if (!Bodies.Contains(id)) return false;
        var key = (id, Domain, notice.Kind);
        if (Dsns.ContainsKey(key)) throw new ModelViolation($"a second {notice.Kind} DSN for {id}");
        Dsns[key] = notice.About.Select(a => a.Recipient.Address).ToList();
        return true;
    }

    // ---------------------------------------------------------------- settling and invariants

    /// <summary>
    /// Everything goes well from now on (the destination is back, storage works): run the world
    /// until nothing is left to do, as time allows. A queue that still holds mail with nothing
    /// under way and no timer set is frozen.
    /// </summary>
    public void Settle()
    {
        _trace.Add($"{Now:HH:mm:ss} settle");
        for (var i = 0; i < 20_000; i++)
        {
            CheckInvariants();
            if (_pending.Count > 0) MakeDurable(_pending.Count);
            else if (_work.OfType<Work.Attempt>().FirstOrDefault() is { } attempt)
            {
                _work.Remove(attempt);
                Feed(new QueueInput.AttemptFinished(attempt.Start.Id, attempt.Start.Token, Report(attempt.Start, AttemptOutcome.Delivered)));
            }
            else if (_work.Count > 0) FinishWork(0, success: true);
            else if (_marks.Count > 0) FlushMarks();
            else if (References.Any(r => r.Key.Domain == Domain && !r.Value.Adopted && (Machine is null || Machine.State.Find(r.Key.Id) is null)))
            {
                Advance(Now + Settings.SweepInterval);
                Sweep(Settings.SweepInterval);
            }
            else if (Machine?.NextWakeUp() is { } wake) Advance(wake > Now ? wake : Now);
            else if (Machine is { IsIdle: false }) throw new ModelViolation($"frozen: {Describe()}");
            else if (Machine is not null) Feed(new QueueInput.IdleCheck());
            else if (References.Keys.Any(k => k.Domain != Domain)) OtherDomainReleases(0);
            else return;
        }
        throw new ModelViolation($"did not settle: {Describe()}");
    }

    public void CheckInvariants()
    {
        if (Machine is not { } machine) return;
        if (machine.InFlight.Count > Settings.ConcurrencyPerDomain)
            throw new ModelViolation($"{machine.InFlight.Count} attempts in flight, the limit is {Settings.ConcurrencyPerDomain}");
        foreach (var (id, attempt) in machine.InFlight)
        {
            var running = _work.OfType<Work.Attempt>().Any(w => w.Start.Id == id && w.Start.Token == attempt.Token)
                          || _pending.SelectMany(p => p.Actions).OfType<QueueAction.StartAttempt>().Any(s => s.Id == id && s.Token == attempt.Token);
            if (!running) throw new ModelViolation($"leaked slot: {id} attempt {attempt.Token} holds a slot but runs nowhere");
        }
        if (_pending.Count == 0 && _work.Count == 0 && machine.State.Count > 0 && machine.NextWakeUp() is null)
            throw new ModelViolation($"frozen: {Describe()}");
    }

    /// <summary>Once settled: nothing lost, nothing left behind, each DSN once.</summary>
    public void CheckOutcome()
    {
        if (Machine is not null) throw new ModelViolation("the queue did not stop once idle");
        foreach (var (id, mail) in Accepted)
        {
            foreach (var recipient in mail.Recipients)
            {
                if (!Ledger.TryGetValue((id, recipient.Address), out var end))
                    throw new ModelViolation($"lost: {id} {recipient.Address} never reached a final disposition");
                if (end.Outcome.Status == RecipientStatus.Delivered && Delivered.GetValueOrDefault((id, recipient.Address)) == 0)
                    throw new ModelViolation($"{id} {recipient.Address} recorded as delivered but never sent");
                var wantsDsn = end.Outcome.Status == RecipientStatus.Failed && !end.Silent && mail.Envelope.Sender is not null
                               && (recipient.Notify == DsnNotify.Unspecified || recipient.Notify.HasFlag(DsnNotify.Failure));
                if (wantsDsn && !(Dsns.TryGetValue((id, Domain, "failed"), out var about) && about.Contains(recipient.Address)))
                    throw new ModelViolation($"{id} {recipient.Address} failed ({end.Outcome.Dsn}) but its sender got no DSN");
            }
        }
        if (References.Count > 0) throw new ModelViolation($"references left in the spool: {string.Join(", ", References.Keys)}");
        if (Bodies.Count > 0) throw new ModelViolation($"bodies left in the spool: {string.Join(", ", Bodies)}");
        var live = _journal.Where(e => _snapshot is null || e.Seq > _snapshot.Value.Seq).ToList();
        if (live.Count > 0) throw new ModelViolation($"journal keeps {live.Count} events of an idle queue");
        if (_snapshot is { State.Messages.Count: > 0 }) throw new ModelViolation("the last snapshot of an idle queue is not empty");
    }

    private string Describe() => Machine is not { } m
        ? "stopped"
        : $"{m.State.Count} message(s) ({string.Join("; ", m.State.Messages.Select(x => $"{x.Id} next={x.NextAttemptAt:HH:mm:ss} removing={x.Removing}"))}), "
          + $"{m.InFlight.Count} in flight, destination down until {m.Destination.DownUntil:HH:mm:ss}, idle={m.IsIdle}";

    private static T Pick<T>(IReadOnlyList<T> items, int pick) => items[pick % items.Count];

    private static string Name(object o)
    {
        var text = o.ToString() ?? "";
        // Records print every field: keep the type and the message id, enough to follow a trace.
        var id = System.Text.RegularExpressions.Regex.Match(text, "01M0*([1-9][0-9]*)");
        return o.GetType().Name + (id.Success ? $"(M{id.Groups[1].Value})" : "");
    }
}

/// <summary>An invariant of the queue does not hold.</summary>
public sealed class ModelViolation(string message) : Exception(message);
