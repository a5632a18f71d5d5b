using Akka.Actor;
using Akka.Event;
using Tunnel.Cluster.Outbound;
using Tunnel.Messages.Mail;
using Envelope = Tunnel.Messages.Mail.Envelope;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// One queued message of one DomainQueue, alive while the message waits: it keeps the timer for
/// the next attempt and runs an attempt when its parent grants a slot. It persists nothing; the
/// parent records every outcome. Owns: the wait and the attempt in progress. Does not own:
/// the schedule (parent decides) or concurrency (parent grants slots).
/// </summary>
public sealed class QueuedMessage : ReceiveActor, IWithTimers
{
    /// <summary>Parent → child: attempt now, for these recipients.</summary>
    public sealed record Attempt(Envelope Envelope, IReadOnlyList<Recipient> Recipients);

    /// <summary>Parent → child: the next attempt is due at this time.</summary>
    public sealed record ScheduleAttempt(DateTimeOffset At);

    /// <summary>Child → parent: my time has come, may I have a slot?</summary>
    public sealed record AttemptDue(MessageId Id);

    /// <summary>Child → parent: the attempt ended so.</summary>
    public sealed record AttemptFinished(MessageId Id, AttemptReport Report);

    private sealed record Due;

    private readonly string _domain;
    private readonly MessageId _id;
    private readonly Courier _courier;
    private readonly TimeSpan _attemptTimeout;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public QueuedMessage(string domain, MessageId id, DateTimeOffset dueAt, QueueServices services)
    {
        _domain = domain;
        _id = id;
        _courier = services.Courier;
        _attemptTimeout = services.Settings.AttemptTimeout;

        Receive<ScheduleAttempt>(s => Wait(s.At));
        Receive<Due>(_ => Context.Parent.Tell(new AttemptDue(_id)));
        Receive<Attempt>(Run);
        Receive<AttemptFinished>(finished => Context.Parent.Tell(finished));
        Wait(dueAt);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PostStop() => _stopping.Cancel();

    private void Wait(DateTimeOffset at)
    {
        var delay = at - Context.System.Scheduler.Now;
        if (delay <= TimeSpan.Zero) Self.Tell(new Due());
        else Timers.StartSingleTimer("due", new Due(), delay);
    }

    private void Run(Attempt attempt)
    {
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        cancel.CancelAfter(_attemptTimeout);
        var log = _log;
        var (domain, id) = (_domain, _id);
        _courier.AttemptAsync(domain, id, attempt.Envelope, attempt.Recipients, cancel.Token)
            .ContinueWith(task =>
            {
                cancel.Dispose();
                if (task.IsCompletedSuccessfully) return new AttemptFinished(id, task.Result);
                // Not a mail verdict: our own failure (timeout, bug). Temporary, as unknown
                // errors always are; the message waits for its next attempt.
                var reason = task.Exception?.GetBaseException().Message ?? "attempt timed out";
                log.Warning("Attempt of {0} for {1} failed internally: {2}", id, domain, reason);
                return new AttemptFinished(id, new AttemptReport(attempt.Recipients
                    .Select(r => new RecipientOutcome(r.Address, RecipientStatus.Deferred, "4.3.0", $"attempt failed: {reason}", null)).ToList(),
                    DestinationDown: false));
            }, TaskScheduler.Default)
            .PipeTo(Self);
    }
}
