using Tunnel.Cluster.Queue;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Xunit;
using static Tunnel.Tests.Unit.Queue.QueueOp;

namespace Tunnel.Tests.Unit.Queue;

/// <summary>
/// The queue's rules in scenarios an operator has met (issue 12), played in the simulated world
/// of <see cref="QueueWorld"/>: concurrency 2, retry 5 min doubling to 40 min, lifetime 3 h.
/// "Durable" lets the journal confirm what was decided; attempts and other work end when the
/// scenario says so.
/// </summary>
public sealed class DomainQueueMachineTests
{
    private static readonly Mail OneRecipient = new(1, NullSender: false, DsnNotify.Unspecified, OtherDomains: 0, Notified: true);

    [Fact]
    public void Expiry_while_the_destination_is_down_does_not_freeze_the_queue()
    {
        // Issue 12, defect 1: five messages expire behind a down destination; then it is back
        // and new mail must be attempted (it used to get no attempt at all: a slot had leaked).
        var world = new QueueWorld(seed: 1);
        for (var i = 0; i < 5; i++) world.Apply(OneRecipient);
        world.Apply(new Durable(10));
        world.Apply(new FinishAttempt(0, AttemptOutcome.Down));
        world.Apply(new FinishAttempt(0, AttemptOutcome.Down));
        world.Apply(new Durable(10));
        for (var minutes = 0; minutes < 200; minutes += 5)
        {
            world.Apply(new Advance(5));
            world.Apply(new Durable(10));
            world.Apply(new FinishWork(0, Success: true)); // scans, checks, notices, releases
            world.Apply(new FinishAttempt(0, AttemptOutcome.Down)); // the probe, if one runs
            world.Apply(new Durable(10));
        }
        for (var i = 0; i < 100 && world.Machine!.State.Count > 0; i++)
        {
            world.Apply(new Durable(10));
            world.Apply(new FinishWork(0, Success: true));
        }
        Assert.Equal(0, world.Machine!.State.Count);
        Assert.Equal(5, world.Dsns.Keys.Count(k => k.Kind == "failed"));

        world.Apply(OneRecipient);
        world.Apply(new Advance(40)); // the destination's backoff is over (it is at most 40 min)
        world.Apply(new Durable(10));

        var (id, attempt) = Assert.Single(world.Machine!.InFlight);
        Assert.Equal(world.Accepted.Keys.MaxBy(k => k.Value), id);
        world.Apply(new FinishAttempt(0, AttemptOutcome.Delivered));
        world.Settle();
        world.CheckOutcome();
    }

    [Fact]
    public void One_outage_counts_once_however_many_attempts_were_failing()
    {
        // Issue 12, defect 6: ten attempts failing within 40 ms pushed the next probe from 5 to
        // 70 minutes out. Two attempts run at once here; both fail, the probe is at +5 min.
        var world = new QueueWorld(seed: 2);
        for (var i = 0; i < 6; i++) world.Apply(OneRecipient);
        world.Apply(new Durable(10));
        Assert.Equal(2, world.Machine!.InFlight.Count);
        var firstFailure = world.Now;

        world.Apply(new FinishAttempt(0, AttemptOutcome.Down));
        world.Apply(new FinishAttempt(0, AttemptOutcome.Down));
        world.Apply(new Durable(10));

        Assert.Equal(firstFailure + QueueWorld.Settings.Retry.First, world.Machine.Destination.DownUntil);
        Assert.Empty(world.Machine.InFlight);
        Assert.Equal(firstFailure + QueueWorld.Settings.Retry.First, world.Machine.NextWakeUp());

        // The probe, alone, when the backoff is over; it fails: the wait doubles.
        world.Apply(new Advance(5));
        world.Apply(new Durable(10));
        Assert.Single(world.Machine.InFlight);
        world.Apply(new FinishAttempt(0, AttemptOutcome.Down));
        Assert.Equal(world.Now + TimeSpan.FromMinutes(10), world.Machine.Destination.DownUntil);
    }

    [Fact]
    public void A_probe_that_gets_through_releases_every_waiting_message()
    {
        var world = new QueueWorld(seed: 3);
        for (var i = 0; i < 6; i++) world.Apply(OneRecipient);
        world.Apply(new Durable(10));
        world.Apply(new FinishAttempt(0, AttemptOutcome.Down));
        world.Apply(new FinishAttempt(0, AttemptOutcome.Down));
        world.Apply(new Advance(5));
        world.Apply(new Durable(10));

        world.Apply(new FinishAttempt(0, AttemptOutcome.Delivered));
        world.Apply(new Durable(10));

        Assert.Null(world.Machine!.Destination.DownUntil);
        Assert.Equal(2, world.Machine.InFlight.Count); // the concurrency again, not one at a time
    }

    [Fact]
    public void Deleting_a_message_in_flight_frees_its_slot_and_its_late_report_changes_nothing()
    {
        var world = new QueueWorld(seed: 4);
        world.Apply(OneRecipient);
        world.Apply(new Durable(10));
        world.Apply(new FinishAttempt(0, AttemptOutcome.Deferred)); // the reference is seen: owed
        world.Apply(new Durable(10));
        world.Apply(new Advance(6)); // 5 min ± 10 %
        world.Apply(new Durable(10));
        var (id, attempt) = Assert.Single(world.Machine!.InFlight);

        world.Apply(new Delete(0, Bounce: true));
        Assert.Empty(world.Machine.InFlight);
        world.Feed(new QueueInput.AttemptFinished(id, attempt.Token, new Tunnel.Cluster.Outbound.AttemptReport(
            [new RecipientOutcome(new Mailbox("r0", QueueWorld.Domain), RecipientStatus.Delivered, "2.0.0", "late", null)], false)));

        world.Settle();
        world.CheckOutcome();
        Assert.Equal("5.0.0", world.Ledger.Single().Value.Outcome.Dsn);
        Assert.Single(world.Dsns); // the operator asked for a bounce
    }

    [Fact]
    public void A_notice_that_comes_after_the_message_left_sends_nothing_twice()
    {
        var world = new QueueWorld(seed: 5);
        world.Apply(OneRecipient);
        world.Settle();
        Assert.Equal(1, world.Delivered.Values.Single());

        world.Apply(new LateNotice(0)); // the queue starts again, adopts it, finds it is not owed
        world.Apply(new Durable(10));
        world.Apply(new FinishAttempt(0, AttemptOutcome.Delivered));
        world.Settle();

        world.CheckOutcome();
        Assert.Equal(1, world.Delivered.Values.Single());
        Assert.Empty(world.Dsns);
    }

    [Fact]
    public void A_message_adopted_again_after_it_left_is_dropped_at_expiry_not_bounced()
    {
        // A scan read the reference just before its release; its answer came after. The ghost
        // waits behind a down destination until it is past its lifetime: expiring it would
        // bounce a delivered message, so the queue checks the outbox first and drops it.
        var world = new QueueWorld(seed: 6);
        world.Apply(OneRecipient);
        world.Apply(new Durable(10));
        world.Apply(new FinishWork(0, Success: false)); // the first scan failed: another follows
        world.Apply(new FinishAttempt(0, AttemptOutcome.Delivered));
        world.Apply(new Durable(10));
        world.Apply(new Advance(1)); // the scan again, while the release is under way
        world.Apply(new FinishWork(0, Success: true)); // the release
        world.Apply(new Durable(10));
        world.Apply(new FinishWork(0, Success: true)); // the scan's stale answer: adopted again
        world.Apply(new Durable(10));
        Assert.Equal(1, world.Machine!.State.Count);
        world.Apply(new FinishAttempt(0, AttemptOutcome.Internal)); // could not read the outbox
        world.Apply(new Advance(200));

        world.Settle();
        world.CheckOutcome();
        Assert.Equal(RecipientStatus.Delivered, world.Ledger.Single().Value.Outcome.Status);
        Assert.Empty(world.Dsns);
    }

    [Fact]
    public void A_crash_after_the_dsn_was_stored_does_not_send_it_again()
    {
        var world = new QueueWorld(seed: 7);
        world.Apply(OneRecipient);
        world.Apply(new Durable(10));
        world.Apply(new FinishAttempt(0, AttemptOutcome.Failed));
        world.Apply(new Durable(10));
        world.Apply(new FinishWork(0, Success: true)); // the first scan
        world.Apply(new FinishWork(0, Success: true)); // the DSN is stored …
        world.Apply(new Crash(AttemptsDelivered: false)); // … but NoticesSent was not written

        world.Settle();

        world.CheckOutcome();
        Assert.Single(world.Dsns);
    }

    [Fact]
    public void Mail_whose_notice_was_lost_is_adopted_by_the_sweep()
    {
        var world = new QueueWorld(seed: 8);
        world.Apply(OneRecipient with { Notified = false });
        Assert.Null(world.Machine);

        world.Apply(new Advance(2));
        world.Apply(new Sweep());
        world.Apply(new Durable(10));

        Assert.Single(world.Machine!.InFlight);
        world.Settle();
        world.CheckOutcome();
    }

    [Fact]
    public void The_operator_retry_probes_a_down_destination_at_once()
    {
        var world = new QueueWorld(seed: 9);
        world.Apply(OneRecipient);
        world.Apply(new Durable(10));
        world.Apply(new FinishAttempt(0, AttemptOutcome.Down));
        world.Apply(new Durable(10));
        Assert.NotNull(world.Machine!.Destination.DownUntil);
        Assert.Empty(world.Machine.InFlight);

        world.Apply(new Retry(null));
        world.Apply(new Durable(10));

        Assert.Single(world.Machine.InFlight);
    }

    [Fact]
    public void An_attempt_that_never_reports_back_gives_its_slot_back_after_its_timeout()
    {
        var world = new QueueWorld(seed: 10);
        world.Apply(OneRecipient);
        world.Apply(new Durable(10));
        var (id, first) = Assert.Single(world.Machine!.InFlight);

        world.Apply(new Advance(11)); // attempt-timeout 10 min and a minute's grace
        world.Apply(new Durable(10));

        Assert.Empty(world.Machine.InFlight);
        // Deferred like any attempt: the next one after 5 min ± the jitter.
        Assert.InRange(world.Machine.NextWakeUp()!.Value, world.Now + TimeSpan.FromMinutes(4.5), world.Now + TimeSpan.FromMinutes(5.5));
        world.Settle();
        world.CheckOutcome();
    }

    // Issue 15: the sub-queues of a split domain share the destination-down state.

    [Fact]
    public void A_sub_queue_tells_its_siblings_when_its_own_attempts_find_the_destination_down_and_back()
    {
        var world = new QueueWorld(seed: 11);
        for (var i = 0; i < 4; i++) world.Apply(OneRecipient);
        world.Apply(new Durable(10));
        Assert.Equal(2, world.Machine!.InFlight.Count);

        world.Apply(new FinishAttempt(0, AttemptOutcome.Down));
        world.Apply(new FinishAttempt(0, AttemptOutcome.Down)); // the same outage: not told again
        world.Apply(new Durable(10));
        var downUntil = world.Now + QueueWorld.Settings.Retry.First;
        Assert.Equal([downUntil], world.Shared);

        world.Apply(new Advance(5));
        world.Apply(new Durable(10));
        world.Apply(new FinishAttempt(0, AttemptOutcome.Down)); // its probe failed: the next probe is further out
        world.Apply(new Durable(10));
        Assert.Equal([downUntil, world.Now + TimeSpan.FromMinutes(10)], world.Shared);

        world.Apply(new Advance(10));
        world.Apply(new Durable(10));
        world.Apply(new FinishAttempt(0, AttemptOutcome.Delivered)); // the probe got through
        world.Apply(new Durable(10));
        Assert.Equal(3, world.Shared.Count);
        Assert.Null(world.Shared[^1]);

        world.Settle(); // attempts that get through while it is up tell nobody
        Assert.Equal(3, world.Shared.Count);
        world.CheckOutcome();
    }

    [Fact]
    public void Told_down_a_sub_queue_starts_nothing_until_then_and_then_probes_once()
    {
        var world = new QueueWorld(seed: 12);
        world.Apply(new SiblingDown(Minutes: 10));
        world.Apply(new Durable(10));
        for (var i = 0; i < 4; i++) world.Apply(OneRecipient);
        world.Apply(new Durable(10));
        Assert.Equal(QueueWorld.Start.AddMinutes(10), world.Machine!.Destination.DownUntil);
        Assert.Empty(world.Machine.InFlight);
        Assert.Equal(QueueWorld.Start.AddMinutes(10), world.Machine.NextWakeUp());

        world.Apply(new Advance(9));
        world.Apply(new Durable(10));
        Assert.Empty(world.Machine.InFlight);
        world.Apply(new Advance(1));
        world.Apply(new Durable(10));
        Assert.Single(world.Machine.InFlight); // one probe, not the concurrency

        // Its own probe fails: the wait doubles once, as the reporter's own would (5 → 10 min);
        // the report was not a failed probe of its own, so not twice (20 min). It tells the others.
        world.Apply(new FinishAttempt(0, AttemptOutcome.Down));
        world.Apply(new Durable(10));
        Assert.Equal(world.Now + TimeSpan.FromMinutes(10), world.Machine.Destination.DownUntil);
        Assert.Equal([world.Now + TimeSpan.FromMinutes(10)], world.Shared);
    }

    [Fact]
    public void Told_up_a_down_sub_queue_starts_its_due_mail_at_once()
    {
        var world = new QueueWorld(seed: 13);
        for (var i = 0; i < 4; i++) world.Apply(OneRecipient);
        world.Apply(new Durable(10));
        world.Apply(new FinishAttempt(0, AttemptOutcome.Down));
        world.Apply(new FinishAttempt(0, AttemptOutcome.Down));
        world.Apply(new Durable(10));
        world.Apply(new Advance(1));
        world.Apply(new Durable(10));
        Assert.Empty(world.Machine!.InFlight); // two messages are due, but it is down for 4 more minutes

        world.Apply(new SiblingUp());
        world.Apply(new Durable(10));

        Assert.Null(world.Machine.Destination.DownUntil);
        Assert.Equal(2, world.Machine.InFlight.Count); // the concurrency, at once
        Assert.Single(world.Shared); // its own "down", never the report it was given
        world.Settle();
        world.CheckOutcome();
    }

    [Fact]
    public void Told_down_an_idle_sub_queue_starts_takes_it_and_stops_again()
    {
        var world = new QueueWorld(seed: 14);
        world.Apply(new SiblingDown(Minutes: 40));
        Assert.NotNull(world.Machine);
        Assert.NotNull(world.Machine!.Destination.DownUntil);

        world.Apply(new Durable(10));
        world.Apply(new FinishWork(0, Success: true)); // its outbox scan: nothing for it
        world.Apply(new Idle());
        world.Apply(new Durable(10));

        Assert.Null(world.Machine);
    }
}
