using Akka.Actor;
using Tunnel.Cluster.Spool;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Envelope = Tunnel.Messages.Mail.Envelope;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// Puts a message in the queue: the body in the spool with one reference per recipient domain,
/// then <see cref="Enqueue"/> to each domain's DomainQueue, done when every one has confirmed
/// that <see cref="MessageEnqueued"/> is durable. Both steps are idempotent by message id, so a
/// submission that failed half-way can be repeated (our own DSNs are) or withdrawn (ingress,
/// which then answers 4xx). Throws when a step fails or times out.
/// </summary>
public sealed class Submission(SpoolStore spool, Func<IActorRef> queues, TimeSpan timeout)
{
    public async Task SubmitAsync(MessageId id, Envelope envelope, IReadOnlyList<Recipient> recipients, byte[] body,
        DateTimeOffset now, CancellationToken cancel)
    {
        var byDomain = recipients.GroupBy(r => r.Address.Domain).ToList();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        await spool.StoreAsync(id, body, byDomain.Select(d => d.Key), now, deadline.Token);
        var region = queues();
        await Task.WhenAll(byDomain.Select(domain => region.Ask<EnqueueAccepted>(
            new Enqueue(domain.Key, id, envelope, domain.ToList(), body.Length, now), timeout, deadline.Token)));
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
