using System.Globalization;
using System.Net;
using Tunnel.Cluster.Ingress;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Observability;

/// <summary>
/// The mail log: one line per event in a message's life, keyed by queue id, separate from
/// debug output, in the spirit of Postfix's maillog so that operators can grep it:
/// <c>2026-11-29T20:30:00.123Z 0ABC…: to=&lt;u@example.com&gt;, relay=mx1.example.com[::1]:25, delay=0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)</c>.
/// Status words: sent, deferred, failed.
/// </summary>
public sealed class MailLog(TextWriter output)
{
    private readonly TextWriter _output = TextWriter.Synchronized(output);

    public void Received(MessageId id, IPAddress client, string? clientName, Mailbox? from, int recipients, long size) =>
        Write(id, $"received from {clientName ?? "unknown"}{ReceivedHeader.AddressLiteral(client)}, from=<{from}>, nrcpt={recipients}, size={size}");

    public void Queued(MessageId id, string domain, int recipients) =>
        Write(id, $"queued for {domain}, nrcpt={recipients}");

    public void Refused(IPAddress client, string reason) =>
        Line($"NOQUEUE: refused from {ReceivedHeader.AddressLiteral(client)}: {reason}");

    public void NotQueued(MessageId id, string reason) =>
        Write(id, $"not queued, client told to retry: {reason}");

    public void Outcome(MessageId id, RecipientOutcome outcome, TimeSpan delay)
    {
        var status = outcome.Status switch
        {
            RecipientStatus.Delivered => "sent",
            RecipientStatus.Failed => "failed",
            _ => "deferred",
        };
        var relay = outcome.Relay ?? "none";
        Write(id, $"to=<{outcome.Recipient}>, relay={relay}, delay={delay.TotalSeconds.ToString("0.##", CultureInfo.InvariantCulture)}, dsn={outcome.Dsn}, status={status} ({outcome.Detail})");
    }

    public void Notified(MessageId id, string kinds) => Write(id, $"sender notified: {kinds}");

    public void NotBounced(MessageId id, string reason) => Write(id, $"no bounce: {reason}");

    public void DestinationDown(string domain, DateTimeOffset until) =>
        Line($"{domain}: destination down, no server reachable; its mail waits until {until:yyyy-MM-ddTHH:mm:ssZ}");

    public void Cancelled(MessageId id, string domain) => Write(id, $"cancelled for {domain}");

    public void Removed(MessageId id, string domain) => Write(id, $"removed from {domain} queue");

    private void Write(MessageId id, string text) => Line($"{id}: {text}");

    private void Line(string text) =>
        _output.WriteLine($"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} mail {text}");
}
