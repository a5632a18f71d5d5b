using Tunnel.Cluster.Observability;
using Tunnel.Messages.Admin;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Node.Admin;

/// <summary>
/// Turns what the DomainQueues answer into the admin API's views: mailq's list, the message
/// detail, per-domain stats, with the mail log's words. Pure: the time is passed in.
/// </summary>
public static class QueueViews
{
    /// <summary>The states <c>--state</c> filters on: a message matches when one of its recipients is in it.</summary>
    public static readonly IReadOnlyList<string> States = ["pending", "deferred", "bounced"];

    public static QueueEntry Entry(QueuedMessageView message, RunningQueue queue, DateTimeOffset now) =>
        new(message.Id.Value, queue.Domain, queue.Node, message.ReceivedAt, Seconds(now - message.ReceivedAt), message.Size,
            Sender(message.Envelope), Recipients(message), message.Attempts, message.NextAttemptAt, LastError(message), queue.Queue);

    /// <summary>"failed" is accepted for "bounced": the word Postfix's mailq readers look for.</summary>
    public static string? NormaliseState(string? state) => state?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "failed" => "bounced",
        var s => s,
    };

    public static bool Matches(QueuedMessageView message, string? state) =>
        state is null || message.Outcomes.Any(o => MailLog.StatusOf(o.Status) == state);

    public static MessagePartView Part(QueuedMessageView message, RunningQueue queue) =>
        new(queue.Domain, queue.Node, Recipients(message), message.Attempts, message.NextAttemptAt,
            message.History.Select(a => new AttemptView(a.At, a.Outcomes.Select(o => Recipient(o)).ToList())).ToList());

    public static MessageView Message(IReadOnlyList<(RunningQueue Queue, QueuedMessageView Message)> parts)
    {
        var first = parts[0].Message;
        var envelope = first.Envelope;
        return new MessageView(first.Id.Value, Sender(envelope), Body(envelope.Body), envelope.SmtpUtf8, envelope.EnvelopeId,
            Return(envelope.Return), first.Size, first.ReceivedAt,
            parts.OrderBy(p => p.Queue.Domain, StringComparer.Ordinal).Select(p => Part(p.Message, p.Queue)).ToList());
    }

    /// <summary>MAIL's BODY= parameter as the client gave it (RFC 6152), "" when it gave none.</summary>
    private static string Body(BodyType body) => body switch
    {
        BodyType.SevenBit => "7BIT",
        BodyType.EightBitMime => "8BITMIME",
        _ => "",
    };

    /// <summary>MAIL's RET= parameter (RFC 3461 §4.3), "" when the client gave none.</summary>
    private static string Return(DsnReturn ret) => ret switch
    {
        DsnReturn.Full => "FULL",
        DsnReturn.Headers => "HDRS",
        _ => "",
    };

    public static DomainStats Stats(QueueInspected queue, RunningQueue running, DateTimeOffset now) =>
        Stats(running.Queue, [(running, queue)], now);

    /// <summary>
    /// One line per destination domain, its sub-queues summed (the operator's usual view), or
    /// one line per queue when <paramref name="subQueues"/>; busiest first.
    /// </summary>
    public static List<DomainStats> Stats(IEnumerable<(RunningQueue Queue, QueueInspected Answer)> answers, bool subQueues, DateTimeOffset now) =>
        answers.Where(a => a.Answer.Messages.Count > 0 || a.Answer.DownUntil is not null)
            .GroupBy(a => subQueues ? a.Queue.Queue : a.Queue.Domain)
            .Select(g => Stats(g.Key, g.Select(a => (a.Queue, a.Answer)).ToList(), now))
            .OrderByDescending(s => s.Messages).ThenBy(s => s.Domain, StringComparer.Ordinal).ToList();

    private static DomainStats Stats(string name, IReadOnlyList<(RunningQueue Running, QueueInspected Answer)> queues, DateTimeOffset now)
    {
        var messages = queues.SelectMany(q => q.Answer.Messages).ToList();
        return new DomainStats(name, string.Join(",", queues.Select(q => q.Running.Node).Distinct().Order(StringComparer.Ordinal)), messages.Count,
            messages.Count(m => m.Attempts == 0),
            messages.Count(m => m.Attempts > 0 && m.Outcomes.Any(o => !o.IsFinal)),
            messages.Sum(m => m.Outcomes.Count(o => !o.IsFinal)),
            messages.Count == 0 ? 0 : Seconds(now - messages.Min(m => m.ReceivedAt)),
            queues.Select(q => q.Answer.DownUntil).Where(d => d is not null).Min(),
            queues.Count);
    }

    public static string Sender(Envelope envelope) => envelope.Sender?.ToString() ?? "";

    private static IReadOnlyList<RecipientView> Recipients(QueuedMessageView message) =>
        message.Recipients.Select((r, i) => Recipient(message.Outcomes[i], r)).ToList();

    private static RecipientView Recipient(RecipientOutcome outcome, Recipient? recipient = null) =>
        new(outcome.Recipient.ToString(), MailLog.StatusOf(outcome.Status), outcome.Dsn, outcome.Detail, outcome.Relay,
            RelayFamily.Of(outcome.Relay),
            recipient is null || recipient.Notify == DsnNotify.Unspecified ? null : recipient.Notify.ToString().Replace(", ", ",").ToUpperInvariant(),
            recipient?.OriginalRecipient);

    private static string? LastError(QueuedMessageView message) =>
        message.Outcomes.Where(o => o.Status is RecipientStatus.Deferred or RecipientStatus.Failed && o.Detail.Length > 0)
            // A server's reply already carries the enhanced code ("451 4.2.0 ..."); a reason of our own ("connect to ...: ConnectionRefused") gets it in front.
            .Select(o => o.Detail.Contains(o.Dsn, StringComparison.Ordinal) ? o.Detail : $"{o.Dsn} {o.Detail}").FirstOrDefault();

    private static double Seconds(TimeSpan span) => Math.Round(Math.Max(0, span.TotalSeconds), 1);
}
