using Akka.Actor;
using Tunnel.Cluster.Spool;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Envelope = Tunnel.Messages.Mail.Envelope;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// Puts a message in the queue: the body in the spool with one reference per recipient domain,
/// and <see cref="Enqueue"/> to each domain's DomainQueue, done when the spool's commit and
/// every queue's <see cref="MessageEnqueued"/> are durable. The two are written side by side,
/// not one after the other (the spool and the journal commit separately, so a message would
/// otherwise wait for two commits in a row before its 250); a queue therefore holds a new
/// message back until <see cref="BodyStored"/> says the body is there too. Both steps are
/// idempotent by message id, so a submission that failed half-way can be repeated (our own DSNs
/// are) or withdrawn (ingress, which then answers 4xx). Throws when a step fails or times out.
/// </summary>
public sealed class Submission(SpoolStore spool, Func<IActorRef> queues, TimeSpan timeout)
{
    public async Task SubmitAsync(MessageId id, Envelope envelope, IReadOnlyList<Recipient> recipients, byte[] body,
        DateTimeOffset now, CancellationToken cancel)
    {
        var byDomain = recipients.GroupBy(r => r.Address.Domain).ToList();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        var region = queues();
        var stored = spool.StoreAsync(id, body, byDomain.Select(d => d.Key), now, deadline.Token);
        var enqueued = byDomain.Select(domain => region.Ask<EnqueueAccepted>(
            new Enqueue(domain.Key, id, envelope, domain.ToList(), body.Length, now), timeout, deadline.Token)).ToList();
        // Both finish (or fail, or time out) before anything is decided: a withdrawal must come
        // after whatever of the submission did happen.
        await Task.WhenAll([stored, .. enqueued]);
        foreach (var domain in byDomain) region.Tell(new BodyStored(domain.Key, id));
    }

    /// <summary>Takes back a submission that may have partly happened: cancel in every domain, delete the body.</summary>
    public async Task WithdrawAsync(MessageId id, IEnumerable<string> domains)
    {
        // Cancel follows Enqueue from this same sender to the same region, so it arrives after
        // it: a queue that persisted the message late still drops it.
        var region = queues();
        foreach (var domain in domains) region.Tell(new CancelEnqueue(domain, id));
        using var cleanup = new CancellationTokenSource(timeout);
        await spool.DeleteAsync(id, cleanup.Token);
    }
}
