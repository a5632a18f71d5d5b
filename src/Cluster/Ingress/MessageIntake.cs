using System.Data.Common;
using System.Net;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Cluster.Observability;
using Tunnel.Cluster.Queue;
using Tunnel.Cluster.Spool;
using Tunnel.Messages.Mail;
using Envelope = Tunnel.Messages.Mail.Envelope;

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
/// Makes a received message durable before the client hears 250 (DESIGN, "nothing lost"): our
/// Received header goes first, then the <see cref="Outbox"/> stores body and every recipient
/// domain's reference in one commit; only then 250. If the commit fails, or does not happen in
/// time and is abandoned, the client gets 451 4.3.0 and nothing is kept, so its retry cannot
/// produce a second copy.
/// </summary>
public sealed class MessageIntake(Outbox outbox, MailLog mailLog, string hostname)
{
    public async Task<SmtpReply> CommitAsync(IncomingMessage message)
    {
        var now = DateTimeOffset.UtcNow;
        var id = MessageId.New(now);
        var header = ReceivedHeader.Build(message.ClientName, message.Client, hostname, message.Protocol, id,
            message.Recipients.Select(r => r.Address).ToList(), now);
        // Header and content go to the spool as two pieces: a large content is never copied.
        var body = new MessageBody(header, message.Content);
        try
        {
            await outbox.PostAsync(id, message.Envelope, message.Recipients, body, now);
            mailLog.Received(id, message.Client, message.ClientName, message.Envelope.Sender, message.Recipients.Count, body.Length);
            return SmtpReplies.Queued(id.Value);
        }
        catch (Exception e) when (e is SpoolTimeoutException or DbException or IOException or InvalidOperationException or TimeoutException)
        {
            mailLog.NotQueued(id, e.GetBaseException().Message);
            return SmtpReplies.NotStored;
        }
    }
}
