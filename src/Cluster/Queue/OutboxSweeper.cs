using Akka.Actor;
using Akka.Event;
using Tunnel.Cluster.Observability;
using Tunnel.Cluster.Spool;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// The safety net under the outbox, one per node (the nodes' sweeps overlap harmlessly:
/// adoption is idempotent). Every sweep interval it reads references that no queue has adopted
/// for longer than that interval (their notice was lost: a node died, a shard moved) and tells
/// their domain queues again, which also restarts a queue that had stopped. Every orphan age it
/// removes spool rows that nothing can use: bodies no domain references and references whose
/// body is gone, each with a mail-log line and a metric. Postfix's qmgr scans its incoming
/// queue the same way; the notices are only the fast path.
/// </summary>
public sealed class OutboxSweeper : ReceiveActor, IWithTimers
{
    private sealed record SweepOutbox;
    private sealed record SweepOrphans;
    private sealed record Found(IReadOnlyList<NewMail> Mail);
    private sealed record Removed(IReadOnlyList<OrphanRemoved> Orphans);
    private sealed record Failed(string What, string Reason);

    private const int Limit = 1000;

    /// <summary>The first sweep of the outbox comes at a random moment within this time of the node's start.</summary>
    public static readonly TimeSpan FirstSweepWithin = TimeSpan.FromSeconds(10);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public OutboxSweeper(SpoolStore spool, Func<IActorRef> queues, MailLog mailLog, TimeSpan interval, TimeSpan orphanAge)
    {
        var busy = false;
        Receive<SweepOutbox>(_ =>
        {
            if (busy) return;
            busy = true;
            spool.UnadoptedAsync(domain: null, before: DateTimeOffset.UtcNow - interval, Limit, CancellationToken.None)
                .PipeTo(Self, success: found => new Found(found), failure: e => new Failed("reading unadopted references", e.GetBaseException().Message));
        });
        Receive<Found>(found =>
        {
            busy = false;
            if (found.Mail.Count == 0) return;
            mailLog.Metrics.UnadoptedFound(found.Mail.Count);
            _log.Warning("{0} message(s) in the outbox were not adopted by their queue within {1}; telling their queues again",
                found.Mail.Count, interval);
            var region = queues();
            foreach (var mail in found.Mail) region.Tell(mail);
        });
        Receive<SweepOrphans>(_ => spool.SweepOrphansAsync(DateTimeOffset.UtcNow - orphanAge)
            .PipeTo(Self, success: removed => new Removed(removed), failure: e => new Failed("removing orphans", e.GetBaseException().Message)));
        Receive<Removed>(removed =>
        {
            foreach (var orphan in removed.Orphans) mailLog.OrphanRemoved(orphan.Id, orphan.Domain, orphan.CreatedAt);
        });
        Receive<Failed>(failed =>
        {
            busy = false;
            _log.Warning("Outbox sweep: {0} failed: {1}", failed.What, failed.Reason);
        });

        // The first sweep soon after start (a crash may have left notices undelivered); nodes
        // started together should not sweep in step.
        var first = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * Math.Min(interval.TotalMilliseconds, FirstSweepWithin.TotalMilliseconds));
        Timers.StartPeriodicTimer("outbox", new SweepOutbox(), first, interval);
        Timers.StartPeriodicTimer("orphans", new SweepOrphans(), orphanAge + first, orphanAge);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(SpoolStore spool, Func<IActorRef> queues, MailLog mailLog, TimeSpan interval, TimeSpan orphanAge) =>
        Akka.Actor.Props.Create(() => new OutboxSweeper(spool, queues, mailLog, interval, orphanAge));
}
