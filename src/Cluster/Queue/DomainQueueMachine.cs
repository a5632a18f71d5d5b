using Tunnel.Cluster.Bounces;
using Tunnel.Cluster.Outbound;
using Tunnel.Messages;
using Tunnel.Messages.Admin;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// The rules of one destination domain's queue, in one place: which message is attempted when
/// (slots, the probe of a down destination, retry, expiry), what an attempt's end means, when a
/// message owes its sender a DSN, when it leaves, and what the operator's orders do. Pure: it
/// takes an input and the time and returns a <see cref="QueueStep"/> (events to persist, then
/// actions to run); the actor does the I/O, the timer and the persistence.
///
/// Two kinds of state. What the journal says (<see cref="State"/>) changes only through events,
/// which this machine applies to itself as it decides them, so its next decision already sees
/// them; recovery replays the same events and nothing else. What is only in memory (attempts in
/// flight, the destination's health, notices and releases under way) is lost with a crash by
/// design, and rebuilt by <see cref="QueueInput.Recovered"/>: an attempt cut short left no event,
/// so its message is simply due again. Every slot handed out is taken back in exactly one place
/// (<see cref="EndAttempt"/>), whatever ends the attempt: its report, a deletion, or the
/// watchdog when no report comes.
///
/// A message ends only while the domain still owes it, that is while its reference row is in
/// the outbox. An attempt reads the row before it sends; an expiry or a deletion, which send
/// nothing, first checks it (<see cref="QueueAction.CheckOwned"/>) unless an attempt of this
/// incarnation already saw it. So a message adopted a second time after it left (a notice that
/// came late, a scan that read the row just before its release) is dropped, never bounced or
/// logged as deleted.
/// </summary>
public sealed class DomainQueueMachine
{
    /// <summary>An ownership check under way (or waiting to be tried again), and the deletion that waits for it.</summary>
    private sealed record OwnershipCheck(bool? DeleteBounce, DateTimeOffset? RetryAt);

    /// <summary>What a failed ownership check says it was (<see cref="QueueInput.StepFailed.What"/>).</summary>
    public const string CheckingOwnership = "checking the outbox";

    /// <summary>How long after a failed notice, release or scan it is tried again.</summary>
    public static readonly TimeSpan StepRetryDelay = TimeSpan.FromSeconds(10);

    /// <summary>References read from the outbox at once; a full page asks for the next.</summary>
    public const int ScanLimit = 1000;

    /// <summary>An attempt that has not reported back this long after its own timeout is taken for lost.</summary>
    public static readonly TimeSpan AttemptGrace = TimeSpan.FromMinutes(1);

    private readonly string _domain;
    private readonly QueueSettings _settings;
    private readonly Func<double> _random;
    private readonly Dictionary<MessageId, InFlightAttempt> _inFlight = new();
    // Messages leaving the queue with a notice or release under way (null), or waiting to try it again.
    private readonly Dictionary<MessageId, DateTimeOffset?> _finishing = new();
    private readonly HashSet<MessageId> _delayNotices = new();
    // Messages whose reference row an attempt or a check of this incarnation has seen.
    private readonly HashSet<MessageId> _owned = new();
    // Ownership checks under way (or to try again at a time), and the deletion waiting for one.
    private readonly Dictionary<MessageId, OwnershipCheck> _checks = new();
    private long _tokens;
    private bool _recovered;
    private bool _scanning;
    private DateTimeOffset? _scanAgainAt;

    /// <param name="random">Uniform draws in [0, 1) for the retry jitter.</param>
    public DomainQueueMachine(string domain, QueueSettings settings, Func<double> random)
    {
        _domain = domain;
        _settings = settings;
        _random = random;
        Destination = new DestinationState(settings.Retry);
    }

    public DomainQueueState State { get; private set; } = new();
    public DestinationState Destination { get; }
    public IReadOnlyDictionary<MessageId, InFlightAttempt> InFlight => _inFlight;

    /// <summary>Nothing held and nothing under way: the queue may stop.</summary>
    public bool IsIdle => State.IsEmpty && _inFlight.Count == 0 && _finishing.Count == 0 && _delayNotices.Count == 0 && _checks.Count == 0
                          && !_scanning;

    /// <summary>Replay: a snapshot, then the events after it.</summary>
    public void Recover(DomainQueueSnapshot snapshot) => State = DomainQueueState.From(snapshot);

    public void Recover(ITunnelMessage @event) => State.Apply(@event);

    public QueueStep Handle(QueueInput input, DateTimeOffset now)
    {
        var step = new QueueStep(State);
        switch (input)
        {
            case QueueInput.Recovered:
                Resume(step);
                break;
            case QueueInput.Arrived arrived:
                Arrive(step, arrived.Mail);
                break;
            case QueueInput.ScanFinished scan:
                Scanned(step, scan, now);
                break;
            case QueueInput.AttemptFinished finished:
                if (_inFlight.TryGetValue(finished.Id, out var attempt) && attempt.Token == finished.Token)
                    EndAttempt(step, finished.Id, attempt, finished.Report, now);
                break;
            case QueueInput.Retry retry:
                RetryNow(step, retry.Id, now);
                break;
            case QueueInput.Delete delete:
                Delete(step, delete.Id, delete.Bounce, now);
                break;
            case QueueInput.NoticesSent sent:
                NoticesSent(step, sent.Id, sent.Kinds);
                break;
            case QueueInput.DelayNoticeSent sent:
                if (_delayNotices.Remove(sent.Id) && State.Find(sent.Id) is { DelayNotified: false })
                    step.Persist(new DelayNotified(sent.Id));
                break;
            case QueueInput.Released released:
                if (_finishing.Remove(released.Id) && State.Find(released.Id) is not null)
                {
                    _owned.Remove(released.Id);
                    step.Persist(new MessageRemoved(released.Id));
                    step.Log(new QueueLogEntry.Removed(released.Id));
                }
                break;
            case QueueInput.StepFailed failed:
                StepFailed(step, failed, now);
                break;
            case QueueInput.OwnershipChecked checkedOwner:
                OwnershipChecked(step, checkedOwner.Id, checkedOwner.Owned, now);
                break;
            case QueueInput.DestinationReported reported:
                DestinationReported(step, reported);
                break;
            case QueueInput.IdleCheck:
                if (IsIdle) step.Do(new QueueAction.Passivate());
                break;
            case QueueInput.Tick:
                break;
        }
        if (_recovered) Pump(step, now);
        return step;
    }

    /// <summary>
    /// When the queue must look at the clock again: the next due attempt (or probe) it could
    /// start, the next expiry, a step to try again, an attempt overdue. Null when nothing can
    /// happen without an input: no mail waiting, or every slot taken (an attempt's end wakes it).
    /// </summary>
    public DateTimeOffset? NextWakeUp()
    {
        if (!_recovered) return null;
        DateTimeOffset? next = null;
        void Consider(DateTimeOffset? at)
        {
            if (at is { } time && (next is null || time < next)) next = time;
        }
        foreach (var attempt in _inFlight.Values) Consider(attempt.StartedAt + _settings.AttemptTimeout + AttemptGrace);
        foreach (var retryAt in _finishing.Values) Consider(retryAt);
        foreach (var check in _checks.Values) Consider(check.RetryAt);
        Consider(_scanAgainAt);
        Consider(NextExpiry());
        if (FirstDueNotInFlight() is { } due && Destination.Slots(DateTimeOffset.MaxValue, _settings.ConcurrencyPerDomain, _inFlight.Count) > 0)
            Consider(Destination.ProbeAt is { } probe && probe > due.NextAttemptAt ? probe : due.NextAttemptAt);
        return next;
    }

    private void Resume(QueueStep step)
    {
        _recovered = true;
        StartScan(step);
        foreach (var message in State.Messages.Where(m => m.Removing).ToList()) Finish(step, message);
    }

    private void StartScan(QueueStep step)
    {
        _scanning = true;
        _scanAgainAt = null;
        step.Do(new QueueAction.ScanOutbox(ScanLimit));
    }

    private void Scanned(QueueStep step, QueueInput.ScanFinished scan, DateTimeOffset now)
    {
        _scanning = false;
        if (scan.Error is { } error)
        {
            _scanAgainAt = now + StepRetryDelay;
            step.Do(new QueueAction.Warn($"reading the outbox for {_domain} failed: {error}; trying again in {StepRetryDelay.TotalSeconds:0}s"));
            return;
        }
        foreach (var mail in scan.Unadopted) Arrive(step, mail);
        if (scan.Unadopted.Count >= ScanLimit) StartScan(step);
    }

    /// <summary>
    /// Adoption: idempotent by id. A message the queue already holds was told again by the scan
    /// or the sweep, which means its mark was lost (a crash, a stop): it only needs the mark.
    /// A message that left the queue already and is told again (a notice that came late) is
    /// adopted anew, finds its reference gone at its first attempt and is dropped.
    /// </summary>
    private void Arrive(QueueStep step, NewMail mail)
    {
        if (mail.Domain != _domain) return;
        if (State.Find(mail.Id) is not null)
        {
            step.Do(new QueueAction.MarkAdopted(mail.Id));
            return;
        }
        step.Persist(new MessageEnqueued(mail.Id, mail.Envelope, mail.Recipients, mail.Size, mail.ReceivedAt));
        step.Log(new QueueLogEntry.Queued(mail.Id, mail.Recipients.Count));
        step.Do(new QueueAction.MarkAdopted(mail.Id));
    }

    /// <summary>
    /// Every way an attempt ends comes through here: its slot is given back, the destination
    /// learns what it showed, and the message records the outcome and moves on.
    /// </summary>
    private void EndAttempt(QueueStep step, MessageId id, InFlightAttempt attempt, AttemptReport report, DateTimeOffset now)
    {
        _inFlight.Remove(id);
        if (State.Find(id) is not { IsWaiting: true } message) return;
        if (report.NotOwed)
        {
            Drop(step, id);
            return;
        }
        if (report.Owed) _owned.Add(id);
        var wasDown = Destination.IsDown;
        if (Destination.AttemptEnded(report.DestinationDown, attempt.Probe, now))
        {
            step.Log(new QueueLogEntry.DestinationDown(Destination.DownUntil!.Value));
            step.Do(new QueueAction.ShareDestination(Destination.DownUntil));
        }
        else if (wasDown && !Destination.IsDown)
        {
            step.Do(new QueueAction.ShareDestination(null));
        }
        // An attempt that could not tell whether the message is still owed may defer it, never end it.
        var mayEnd = _owned.Contains(id);
        var outcomes = mayEnd ? report.Outcomes : report.Outcomes.Where(o => !o.IsFinal).ToList();
        Record(step, message, Attempted(message, outcomes, now, _settings, _random(), mayExpire: mayEnd), now);
    }

    private void Drop(QueueStep step, MessageId id)
    {
        const string reason = "its reference in the spool is gone: its recipients here were final already (a repeated notice)";
        _checks.Remove(id);
        _owned.Remove(id);
        step.Persist(new MessageDropped(id, reason));
        step.Log(new QueueLogEntry.Dropped(id, reason));
    }

    /// <summary>Persists an attempt's outcomes (or an expiry), then moves the message on: finish it, or let it wait and warn.</summary>
    private void Record(QueueStep step, QueuedMessageState message, DeliveryAttempted attempted, DateTimeOffset now)
    {
        step.Persist(attempted);
        foreach (var outcome in attempted.Outcomes)
            step.Log(new QueueLogEntry.Outcome(message.Id, outcome, attempted.At - message.ReceivedAt));
        if (message.Removing)
        {
            Finish(step, message);
            return;
        }
        if (!_delayNotices.Contains(message.Id) && Notices.Delay(message, now, _settings) is { } notice)
        {
            _delayNotices.Add(message.Id);
            step.Do(new QueueAction.SendDelayNotice(message.Id, message.Envelope, message.ReceivedAt, notice));
        }
    }

    /// <summary>
    /// A message whose recipients are all final leaves in two steps, each recorded before the
    /// next: the DSNs it owes go into the outbox (<see cref="Messages.Queue.NoticesSent"/>), then
    /// its reference is released (<see cref="MessageRemoved"/>). Recovery picks up at the step
    /// that was not recorded; both steps are idempotent, so repeating one is harmless.
    /// </summary>
    private void Finish(QueueStep step, QueuedMessageState message)
    {
        if (_finishing.ContainsKey(message.Id)) return;
        _delayNotices.Remove(message.Id);
        _finishing[message.Id] = null;
        if (!message.NoticesSent && !message.Silent)
        {
            if (message.Envelope.Sender is null && message.Outcomes.Any(o => o.Status == RecipientStatus.Failed))
                step.Log(new QueueLogEntry.NotBounced(message.Id, "the sender is <>: a bounce is never bounced (RFC 5321 §4.5.5)"));
            if (Notices.Final(message) is { Count: > 0 } notices)
            {
                step.Do(new QueueAction.SendNotices(message.Id, message.Envelope, message.ReceivedAt, notices));
                return;
            }
        }
        step.Do(new QueueAction.Release(message.Id));
    }

    private void NoticesSent(QueueStep step, MessageId id, string kinds)
    {
        if (!_finishing.ContainsKey(id) || State.Find(id) is not { Removing: true }) return;
        if (kinds.Length > 0) step.Log(new QueueLogEntry.Notified(id, kinds));
        step.Persist(new Messages.Queue.NoticesSent(id));
        step.Do(new QueueAction.Release(id));
    }

    private void StepFailed(QueueStep step, QueueInput.StepFailed failed, DateTimeOffset now)
    {
        if (failed.What == "delay notice")
        {
            // Not sent now: the next attempt of a still-waiting message asks again.
            _delayNotices.Remove(failed.Id);
            step.Do(new QueueAction.Warn($"sending the delay notice of {failed.Id} for {_domain} failed: {failed.Reason}"));
            return;
        }
        if (failed.What == CheckingOwnership)
        {
            if (_checks.TryGetValue(failed.Id, out var check)) _checks[failed.Id] = check with { RetryAt = now + StepRetryDelay };
            step.Do(new QueueAction.Warn($"checking whether {_domain} still owes {failed.Id} failed: {failed.Reason}"));
            return;
        }
        if (!_finishing.ContainsKey(failed.Id)) return;
        _finishing[failed.Id] = now + StepRetryDelay;
        step.Do(new QueueAction.Warn(
            $"finishing {failed.Id} for {_domain}: {failed.What} failed: {failed.Reason}; trying again in {StepRetryDelay.TotalSeconds:0}s"));
    }

    /// <summary>
    /// A sibling sub-queue's own attempts found the destination down, or up again (issue 15):
    /// taken as this queue's own knowledge but never passed on, so reports do not echo. The
    /// pump then does the rest: nothing new starts before a down's end, and due mail starts at
    /// once after an up.
    /// </summary>
    private void DestinationReported(QueueStep step, QueueInput.DestinationReported reported)
    {
        var changed = reported.DownUntil is { } until ? Destination.Adopt(until) : Destination.Cleared();
        if (changed) step.Log(new QueueLogEntry.DestinationReported(reported.DownUntil, reported.ReportedBy));
    }

    /// <summary>
    /// <c>tunnel queue retry</c>: the messages are due now, like Postfix's <c>postqueue -f</c>, and
    /// a down destination may be probed at once. They still take slots as always, so the
    /// concurrency limit holds.
    /// </summary>
    private void RetryNow(QueueStep step, MessageId? id, DateTimeOffset now)
    {
        var count = id is { } one ? State.Find(one) is { IsWaiting: true } ? 1 : 0 : State.Messages.Count(m => m.IsWaiting);
        if (count > 0)
        {
            var probe = Destination.IsDown;
            step.Persist(new RetryRequested(id, now));
            Destination.ProbeNow(now);
            step.Log(new QueueLogEntry.OperatorRetry(count, probe));
        }
        step.Do(new QueueAction.Reply(new RetryScheduled(_domain, count)));
    }

    /// <summary>
    /// <c>tunnel queue delete</c>: whoever still waits fails with 5.0.0, and the message leaves
    /// as any other (with a DSN when asked for). An attempt in flight is abandoned.
    /// </summary>
    private void Delete(QueueStep step, MessageId id, bool bounce, DateTimeOffset now)
    {
        if (State.Find(id) is not { } message)
        {
            step.Do(new QueueAction.Reply(new DeleteAccepted(_domain, id, Found: false)));
            return;
        }
        if (message.IsWaiting)
        {
            if (_inFlight.Remove(id, out var attempt)) step.Do(new QueueAction.CancelAttempt(id, attempt.Token));
            if (_owned.Contains(id)) DeleteOwned(step, message, bounce, now);
            else Check(step, id, deleteBounce: bounce);
        }
        step.Do(new QueueAction.Reply(new DeleteAccepted(_domain, id, Found: true)));
    }

    private void DeleteOwned(QueueStep step, QueuedMessageState message, bool bounce, DateTimeOffset now)
    {
        var waiting = message.Outcomes.Where(o => !o.IsFinal).Select(o => o.Recipient).ToHashSet();
        step.Persist(new MessageDeleted(message.Id, now, bounce));
        step.Log(new QueueLogEntry.OperatorDeleted(message.Id, bounce));
        foreach (var outcome in message.Outcomes.Where(o => waiting.Contains(o.Recipient)))
            step.Log(new QueueLogEntry.Outcome(message.Id, outcome, now - message.ReceivedAt, DeletedSilently: !bounce));
        Finish(step, message);
    }

    /// <summary>Asks the outbox whether the message is still owed; a deletion asked for meanwhile waits for the answer.</summary>
    private void Check(QueueStep step, MessageId id, bool? deleteBounce = null)
    {
        if (_checks.TryGetValue(id, out var running))
        {
            if (deleteBounce is not null) _checks[id] = running with { DeleteBounce = deleteBounce };
            return;
        }
        _checks[id] = new OwnershipCheck(deleteBounce, RetryAt: null);
        step.Do(new QueueAction.CheckOwned(id));
    }

    private void OwnershipChecked(QueueStep step, MessageId id, bool owned, DateTimeOffset now)
    {
        if (!_checks.Remove(id, out var check) || State.Find(id) is not { IsWaiting: true } message) return;
        if (!owned)
        {
            Drop(step, id);
            return;
        }
        _owned.Add(id);
        if (check.DeleteBounce is { } bounce) DeleteOwned(step, message, bounce, now);
        // An expiry that asked is done by the pump, now that the message is known to be owed.
    }

    /// <summary>After every input: whatever time allows now, in order.</summary>
    private void Pump(QueueStep step, DateTimeOffset now)
    {
        foreach (var (id, attempt) in _inFlight.Where(a => a.Value.StartedAt + _settings.AttemptTimeout + AttemptGrace <= now).ToList())
        {
            step.Do(new QueueAction.CancelAttempt(id, attempt.Token));
            if (State.Find(id) is not { } message)
            {
                _inFlight.Remove(id);
                continue;
            }
            EndAttempt(step, id, attempt, new AttemptReport(message.PendingRecipients
                .Select(r => new RecipientOutcome(r.Address, RecipientStatus.Deferred, "4.3.0", "the attempt did not report back", null)).ToList(),
                DestinationDown: false, Owed: false), now);
        }
        foreach (var (id, _) in _finishing.Where(f => f.Value <= now).ToList())
        {
            _finishing.Remove(id);
            if (State.Find(id) is { Removing: true } leaving) Finish(step, leaving);
        }
        foreach (var (id, check) in _checks.Where(c => c.Value.RetryAt <= now).ToList())
        {
            _checks[id] = check with { RetryAt = null };
            step.Do(new QueueAction.CheckOwned(id));
        }
        if (!_scanning && _scanAgainAt <= now) StartScan(step);
        Expire(step, now);
        var slots = Destination.Slots(now, _settings.ConcurrencyPerDomain, _inFlight.Count);
        foreach (var message in State.ByNextAttempt)
        {
            if (slots == 0 || message.NextAttemptAt > now) break;
            if (_inFlight.ContainsKey(message.Id) || _checks.ContainsKey(message.Id)) continue;
            var token = ++_tokens;
            _inFlight[message.Id] = new InFlightAttempt(token, now, Probe: Destination.IsDown);
            step.Do(new QueueAction.StartAttempt(message.Id, token, message.Envelope, message.PendingRecipients));
            slots--;
        }
    }

    /// <summary>
    /// Messages past their lifetime fail now, without another attempt (4.4.7, RFC 3463 §3.5),
    /// keeping the last error in the diagnostic so the sender learns why. One in flight expires
    /// when its attempt reports (<see cref="Attempted"/>).
    /// </summary>
    private void Expire(QueueStep step, DateTimeOffset now)
    {
        var expired = State.ByArrival.TakeWhile(m => m.ExpiresAt(_settings.Lifetime) <= now)
            .Where(m => m.IsWaiting && !_inFlight.ContainsKey(m.Id) && !_checks.ContainsKey(m.Id)).ToList();
        foreach (var message in expired)
        {
            if (!_owned.Contains(message.Id))
            {
                Check(step, message.Id);
                continue;
            }
            Record(step, message, new DeliveryAttempted(message.Id, now,
                message.Outcomes.Where(o => !o.IsFinal).Select(o => Expire(o, _settings.Lifetime)).ToList(), null), now);
        }
    }

    private DateTimeOffset? NextExpiry() =>
        State.ByArrival.Where(m => m.IsWaiting && !_inFlight.ContainsKey(m.Id) && !_checks.ContainsKey(m.Id))
            .Select(m => (DateTimeOffset?)m.ExpiresAt(_settings.Lifetime)).FirstOrDefault();

    private QueuedMessageState? FirstDueNotInFlight() =>
        State.ByNextAttempt.FirstOrDefault(m => !_inFlight.ContainsKey(m.Id) && !_checks.ContainsKey(m.Id));

    /// <summary>
    /// The event that records an attempt's outcomes. Recipients still deferred get the next
    /// attempt time from the schedule; once the message is older than its lifetime they fail
    /// instead (4.4.7), keeping the last error. A message with no recipient left waiting gets no time.
    /// </summary>
    public static DeliveryAttempted Attempted(QueuedMessageState message, IReadOnlyList<RecipientOutcome> outcomes,
        DateTimeOffset now, QueueSettings settings, double random = 0.5, bool mayExpire = true)
    {
        if (mayExpire && now - message.ReceivedAt >= settings.Lifetime)
            outcomes = outcomes.Select(o => o.IsFinal ? o : Expire(o, settings.Lifetime)).ToList();
        // "None left" is about the whole message: a recipient this attempt did not cover (its
        // outcome missing) is still waiting, and without a time it would never be tried again.
        var waiting = outcomes.Any(o => !o.IsFinal)
                      || message.Outcomes.Any(r => !r.IsFinal && !outcomes.Any(o => o.Recipient == r.Recipient));
        return new DeliveryAttempted(message.Id, now, outcomes, waiting ? settings.Retry.Next(message.Attempts + 1, now, random) : null);
    }

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
}
