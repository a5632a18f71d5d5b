using System.Diagnostics;
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
    ReadOnlyMemory<byte> Content)
{
    /// <summary>When the session saw the end of the data (a <see cref="Stopwatch"/> timestamp; 0: not known).</summary>
    public long DataEnd { get; init; }
}

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
        var timing = new StoreTiming();
        try
        {
            await outbox.PostAsync(id, message.Envelope, message.Recipients, body, now, timing: timing);
            mailLog.Received(id, message.Client, message.ClientName, message.Envelope.Sender, message.Recipients.Count, body.Length);
            Record(message.DataEnd, timing);
            return SmtpReplies.Queued(id.Value);
        }
        catch (Exception e) when (e is SpoolTimeoutException or DbException or IOException or InvalidOperationException or TimeoutException)
        {
            mailLog.NotQueued(id, e.GetBaseException().Message);
            return SmtpReplies.NotStored;
        }
    }

    /// <summary>
    /// The steps from the end of the data to the 250 (issue 16, `bench --trace`): prepare (the
    /// replies before it flushed, the Received header, the envelopes serialized), wait (for the
    /// commit before it to finish), write (its group's rows), commit (durable), resume (back in
    /// the session, queues told, mail log written).
    /// </summary>
    private void Record(long dataEnd, StoreTiming timing)
    {
        if (!timing.Complete) return;
        var metrics = mailLog.Metrics;
        if (dataEnd != 0 && dataEnd <= timing.Queued) metrics.IntakeStep("prepare", Stopwatch.GetElapsedTime(dataEnd, timing.Queued));
        metrics.IntakeStep("wait", Stopwatch.GetElapsedTime(timing.Queued, timing.Started));
        metrics.IntakeStep("write", Stopwatch.GetElapsedTime(timing.Started, timing.Written));
        metrics.IntakeStep("commit", Stopwatch.GetElapsedTime(timing.Written, timing.Committed));
        metrics.IntakeStep("resume", Stopwatch.GetElapsedTime(timing.Committed));
        metrics.IntakeCommitShare(timing.Batch);
    }
}
