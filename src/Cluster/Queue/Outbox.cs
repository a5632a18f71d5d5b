using Akka.Actor;
using Tunnel.Cluster.Spool;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Envelope = Tunnel.Messages.Mail.Envelope;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// Puts a message in the queue with one durable write (DESIGN, "the outbox"): the body and one
/// reference row per recipient domain, each carrying that domain's envelope, in one spool
/// transaction. Once it is committed the message is ours, and only then is each domain's
/// DomainQueue told (<see cref="NewMail"/>): a fast path, not a condition. Nothing here waits
/// for a shard, so a node failing or shards moving never slows acceptance; a notice lost on the
/// way is made good by the queue's own scan and the node's sweep, which read the same rows.
/// Used by ingress (the 250 waits for it) and by the queues for the DSNs they send.
/// </summary>
/// <param name="timeout">How long a store may take before it is abandoned (451, nothing kept).</param>
/// <param name="limit">The longest wait for a commit that had already begun when the timeout struck.</param>
/// <param name="split">Which sub-queue of its domain each reference goes to; none split when null.</param>
public sealed class Outbox(SpoolStore spool, Func<IActorRef> queues, TimeSpan timeout, TimeSpan limit, QueueSplit? split = null)
{
    private readonly QueueSplit _split = split ?? QueueSplit.None;

    /// <summary>
    /// Stores the message and tells its queues. Throws when it was not stored (see
    /// <see cref="SpoolStore.StoreAsync"/>); returns false only for a DSN already stored before.
    /// </summary>
    public async Task<bool> PostAsync(MessageId id, Envelope envelope, IReadOnlyList<Recipient> recipients, MessageBody body,
        DateTimeOffset now, NoticeGuard? guard = null, StoreTiming? timing = null)
    {
        var mail = recipients.GroupBy(r => r.Address.Domain)
            .Select(domain => new NewMail(domain.Key, id, envelope, domain.ToList(), body.Length, now, _split.PartOf(id, domain.Key)))
            .ToList();
        if (!await spool.StoreAsync(id, body, mail, now, timeout, limit, guard, timing)) return false;
        var region = queues();
        foreach (var domain in mail) region.Tell(domain);
        return true;
    }
}
