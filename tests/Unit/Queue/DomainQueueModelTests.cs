using FsCheck;
using FsCheck.Fluent;
using Tunnel.Messages.Mail;
using Xunit;
using Xunit.Abstractions;

namespace Tunnel.Tests.Unit.Queue;

/// <summary>One thing that happens to a DomainQueue's world; the ints pick among what is there at the time.</summary>
public abstract record QueueOp
{
    /// <summary>A message is accepted (outbox committed); <paramref name="Notified"/> false: its notice to the queue was lost.</summary>
    public sealed record Mail(int Recipients, bool NullSender, DsnNotify Notify, int OtherDomains, bool Notified) : QueueOp;

    /// <summary>The journal confirms the next writes.</summary>
    public sealed record Durable(int Steps) : QueueOp;

    public sealed record FinishAttempt(int Pick, AttemptOutcome Outcome) : QueueOp;

    /// <summary>A scan, notice, delay notice or release ends (or fails: the database went away).</summary>
    public sealed record FinishWork(int Pick, bool Success) : QueueOp;

    public sealed record FlushMarks : QueueOp;
    public sealed record Advance(int Minutes) : QueueOp;
    public sealed record Retry(int? Pick) : QueueOp;
    public sealed record Delete(int Pick, bool Bounce) : QueueOp;

    /// <summary>Another domain's queue releases its reference to a message this one shares.</summary>
    public sealed record OtherRelease(int Pick) : QueueOp;

    /// <summary>A notice about a message arrives again, maybe long after it left (a retried send, a buffered shard message).</summary>
    public sealed record LateNotice(int Pick) : QueueOp;

    /// <summary>A sibling sub-queue of the split domain found the destination down for this many minutes from now (issue 15).</summary>
    public sealed record SiblingDown(int Minutes) : QueueOp;

    /// <summary>A sibling sub-queue of the split domain got through to the destination (issue 15).</summary>
    public sealed record SiblingUp : QueueOp;

    public sealed record Sweep : QueueOp;
    public sealed record Snapshot : QueueOp;
    public sealed record Idle : QueueOp;

    /// <summary>The node dies; attempts in flight had reached the MX or not.</summary>
    public sealed record Crash(bool AttemptsDelivered) : QueueOp;
}

public enum AttemptOutcome { Delivered, Mixed, Deferred, Failed, Down, Internal }

/// <summary>A generated history, printed one operation per line when a property fails.</summary>
public sealed record QueueHistory(IReadOnlyList<QueueOp> Ops, int Seed)
{
    public override string ToString() => $"seed {Seed}, {Ops.Count} operations:\n  " + string.Join("\n  ", Ops);
}

public static class QueueHistories
{
    private static Gen<QueueOp> Op() =>
        Gen.Frequency(
            (6, from recipients in Gen.Choose(1, 3)
                from nullSender in Gen.Frequency((9, Gen.Constant(false)), (1, Gen.Constant(true)))
                from notify in Gen.Elements(DsnNotify.Unspecified, DsnNotify.Unspecified, DsnNotify.Never, DsnNotify.Failure | DsnNotify.Delay,
                    DsnNotify.Success)
                from others in Gen.Frequency((6, Gen.Constant(0)), (3, Gen.Constant(1)), (1, Gen.Constant(2)))
                from notified in Gen.Frequency((5, Gen.Constant(true)), (1, Gen.Constant(false)))
                select (QueueOp)new QueueOp.Mail(recipients, nullSender, notify, others, notified)),
            (8, Gen.Choose(1, 4).Select(n => (QueueOp)new QueueOp.Durable(n))),
            (8, from pick in Gen.Choose(0, 9)
                from outcome in Gen.Elements(Enum.GetValues<AttemptOutcome>())
                select (QueueOp)new QueueOp.FinishAttempt(pick, outcome)),
            (6, from pick in Gen.Choose(0, 9)
                from success in Gen.Frequency((5, Gen.Constant(true)), (1, Gen.Constant(false)))
                select (QueueOp)new QueueOp.FinishWork(pick, success)),
            (2, Gen.Constant((QueueOp)new QueueOp.FlushMarks())),
            (5, Gen.Elements(1, 2, 5, 6, 15, 31, 45, 70, 200).Select(m => (QueueOp)new QueueOp.Advance(m))),
            (1, Gen.Elements<int?>(null, 0, 1, 2).Select(p => (QueueOp)new QueueOp.Retry(p))),
            (1, from pick in Gen.Choose(0, 9) from bounce in ArbMap.Default.GeneratorFor<bool>() select (QueueOp)new QueueOp.Delete(pick, bounce)),
            (2, Gen.Choose(0, 9).Select(p => (QueueOp)new QueueOp.OtherRelease(p))),
            (1, Gen.Choose(0, 9).Select(p => (QueueOp)new QueueOp.LateNotice(p))),
            (2, Gen.Elements(0, 1, 5, 10, 40).Select(m => (QueueOp)new QueueOp.SiblingDown(m))),
            (2, Gen.Constant((QueueOp)new QueueOp.SiblingUp())),
            (1, Gen.Constant((QueueOp)new QueueOp.Sweep())),
            (1, Gen.Constant((QueueOp)new QueueOp.Snapshot())),
            (2, Gen.Constant((QueueOp)new QueueOp.Idle())),
            (1, ArbMap.Default.GeneratorFor<bool>().Select(d => (QueueOp)new QueueOp.Crash(d))));

    /// <summary>Histories of up to 120 operations; a failing one shrinks by dropping operations.</summary>
    public static Arbitrary<QueueHistory> Histories() =>
        Arb.From(
            from ops in Gen.Sized(size => Gen.Choose(0, Math.Min(size * 2, 120)).SelectMany(n => Op().ListOf(n)))
            from seed in Gen.Choose(0, int.MaxValue)
            select new QueueHistory(ops.ToList(), seed),
            ShrinkOps);

    private static IEnumerable<QueueHistory> ShrinkOps(QueueHistory history)
    {
        var ops = history.Ops;
        for (var size = ops.Count / 2; size >= 1; size /= 2)
            for (var start = 0; start + size <= ops.Count; start += size)
                yield return history with { Ops = [.. ops.Take(start), .. ops.Skip(start + size)] };
    }
}

/// <summary>
/// Model-based tests of the queue's rules (issue 12): random histories of new mail (1–3
/// recipients, sometimes sharing the body with other domains, sometimes with the notice to the
/// queue lost), attempt outcomes of every kind (delivered, deferred, failed, destination down,
/// internal failure, cut off by a crash), storage failures, operator retries and deletions,
/// late repeated notices, sibling sub-queues reporting the destination down or up (issue 15),
/// snapshots, passivation and crashes with recovery from only what was durable. After every
/// operation: slots never exceed the limit and never leak, a queue with work has something
/// under way or a timer set, no attempt starts while the destination is down before its
/// backoff ends, and a sibling's report is never passed on. After the world settles: every recipient
/// of every accepted message ended once (delivered, bounced with a DSN where NOTIFY asks, or
/// deleted), at most one DSN per (message, domain, kind), and nothing of it is left in the
/// spool or the journal. A failure prints FsCheck's replay seed, the world's seed and the
/// history, shrunk.
/// </summary>
public sealed class DomainQueueModelTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_history_keeps_the_queue_invariants()
    {
        var property = Prop.ForAll(QueueHistories.Histories(), history =>
        {
            var world = new QueueWorld(history.Seed);
            try
            {
                foreach (var op in history.Ops) world.Apply(op);
                world.Settle();
                world.CheckOutcome();
            }
            catch (ModelViolation violation)
            {
                throw new ModelViolation($"{violation.Message}\nworld trace:\n  {string.Join("\n  ", world.Trace.TakeLast(120))}");
            }
        });
        var config = Config.QuickThrowOnFailure.WithMaxTest(MaxTests).WithEndSize(60);
        if (Environment.GetEnvironmentVariable("TUNNEL_MODEL_REPLAY") is { Length: > 0 } replay)
        {
            var parts = replay.Split(',');
            config = config.WithReplay(new Replay(new Rnd(ulong.Parse(parts[0]), ulong.Parse(parts[1])), Microsoft.FSharp.Core.FSharpOption<int>.None));
        }
        Check.One(config, property);
        output.WriteLine($"{MaxTests} histories checked");
    }

    /// <summary>Thousands in the suite; more with TUNNEL_MODEL_TESTS for a long soak.</summary>
    private static int MaxTests =>
        int.TryParse(Environment.GetEnvironmentVariable("TUNNEL_MODEL_TESTS"), out var n) && n > 0 ? n : 10_000;
}
