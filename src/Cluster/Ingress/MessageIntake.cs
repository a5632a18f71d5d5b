using System.Net;
using Akka.Actor;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Cluster.Observability;
using Tunnel.Cluster.Queue;
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
/// Makes a received message durable before the client hears 250 (DESIGN, "nothing lost"):
/// our Received header goes first, then <see cref="Submission"/> stores the body and has every
/// recipient domain's DomainQueue persist it; only then 250. If any step fails or times out the
/// client gets 451 4.3.0 and everything already stored is withdrawn, so its retry cannot
/// produce a second copy.
/// </summary>
public sealed class MessageIntake(Submission submission, MailLog mailLog, string hostname)
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
        try
        {
            await submission.SubmitAsync(id, message.Envelope, message.Recipients, body, now, CancellationToken.None);
            mailLog.Received(id, message.Client, message.ClientName, message.Envelope.Sender, message.Recipients.Count, body.Length);
            return SmtpReplies.Queued(id.Value);
        }
        catch (Exception e) when (e is OperationCanceledException or AskTimeoutException or System.Data.Common.DbException or IOException)
        {
            mailLog.NotQueued(id, e.GetBaseException().Message);
            try
            {
                await submission.WithdrawAsync(id, message.Recipients.Select(r => r.Address.Domain).Distinct());
            }
            catch (Exception cleanup) when (cleanup is OperationCanceledException or System.Data.Common.DbException)
            {
                // The body stays orphaned in the spool; no queue references it, so it is never sent.
                mailLog.NotQueued(id, $"spool cleanup failed too: {cleanup.Message}");
            }
            return SmtpReplies.NotStored;
        }
    }
}
