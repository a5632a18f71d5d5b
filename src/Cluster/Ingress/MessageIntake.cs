using System.Net;
using Akka.Actor;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Cluster.Observability;
using Tunnel.Cluster.Spool;
using Tunnel.Messages.Mail;
using Envelope = Tunnel.Messages.Mail.Envelope;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Ingress;

/// <summary>A complete message as the session received it, before it is ours.</summary>
public sealed record IncomingMessage(
    IPAddress Client,
    string? ClientName,
    string Protocol,
    Envelope Envelope,
    IReadOnlyList<Recipient> Recipients,
    ReadOnlyMemory<byte> Content);

/// <summary>
/// Makes a received message durable before the client hears 250 (DESIGN, "nothing lost"):
/// 1. the body, with our Received header first, goes to the spool with one reference per
///    recipient domain; 2. each domain's DomainQueue persists <see cref="MessageEnqueued"/> and
///    says so; 3. only then 250. If any step fails or times out the client gets 451 4.3.0 and
///    everything already stored is withdrawn, so its retry cannot produce a second copy.
/// </summary>
public sealed class MessageIntake(SpoolStore spool, IActorRef queues, MailLog mailLog, string hostname, TimeSpan timeout)
{
    public async Task<SmtpReply> CommitAsync(IncomingMessage message)
    {
        var now = DateTimeOffset.UtcNow;
        var id = MessageId.New(now);
        var header = ReceivedHeader.Build(message.ClientName, message.Client, hostname, message.Protocol, id,
            message.Recipients.Select(r => r.Address).ToList(), now);
        var body = new byte[header.Length + message.Content.Length];
        header.CopyTo(body, 0);
        message.Content.CopyTo(body.AsMemory(header.Length));
        var byDomain = message.Recipients.GroupBy(r => r.Address.Domain).ToList();

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await spool.StoreAsync(id, body, byDomain.Select(d => d.Key), now, deadline.Token);
            mailLog.Received(id, message.Client, message.ClientName, message.Envelope.Sender, message.Recipients.Count, body.Length);
            await Task.WhenAll(byDomain.Select(domain => queues.Ask<EnqueueAccepted>(
                new Enqueue(domain.Key, id, message.Envelope, domain.ToList(), body.Length, now),
                timeout, deadline.Token)));
            return SmtpReplies.Queued(id.Value);
        }
        catch (Exception e) when (e is OperationCanceledException or AskTimeoutException or System.Data.Common.DbException or IOException)
        {
            await WithdrawAsync(id, byDomain.Select(d => d.Key), e);
            return SmtpReplies.NotStored;
        }
    }

    private async Task WithdrawAsync(MessageId id, IEnumerable<string> domains, Exception cause)
    {
        // Cancel follows Enqueue from this same sender to the same region, so it arrives after
        // it: a queue that persisted the message late still drops it.
        foreach (var domain in domains) queues.Tell(new CancelEnqueue(domain, id));
        mailLog.NotQueued(id, cause.GetBaseException().Message);
        try
        {
            using var cleanup = new CancellationTokenSource(timeout);
            await spool.DeleteAsync(id, cleanup.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or System.Data.Common.DbException)
        {
            // The body stays orphaned in the spool; no queue references it, so it is never sent.
            mailLog.NotQueued(id, $"spool cleanup failed too: {e.Message}");
        }
    }
}
