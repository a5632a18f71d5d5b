using System.Buffers;
using System.Net.Sockets;
using System.Text;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Tunnel.Cluster.Routing;
using Tunnel.Messages.Mail;
using Envelope = Tunnel.Messages.Mail.Envelope;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Outbound;

/// <summary>Outbound identity and limits, from configuration.</summary>
public sealed record OutboundSettings(string Hostname, int Port, TimeSpan ConnectTimeout, TimeSpan CommandTimeout);

/// <summary>
/// Delivers one message to one target over a socket we connect ourselves (so the address and
/// family are ours to choose), with MailKit for the session set-up and our own transaction for
/// byte-exact data. Per-recipient replies are kept: one refused recipient does not fail the
/// others. Owns: one SMTP connection. Does not own: which target to try next (the caller walks
/// the plan) or retries (Queue/).
/// </summary>
public sealed class SmtpSender(OutboundSettings settings)
{
    public async Task<TransactionResult> SendAsync(DeliveryTarget target, Envelope envelope, IReadOnlyList<Recipient> recipients,
        ReadOnlyMemory<byte> message, CancellationToken cancel)
    {
        using var client = new RelaySmtpClient
        {
            LocalDomain = settings.Hostname,
            Timeout = (int)settings.CommandTimeout.TotalMilliseconds,
            // Opportunistic TLS (RFC 3207 as MTAs use it): a certificate we cannot verify still
            // encrypts, and refusing it would only push the mail to plain text.
            ServerCertificateValidationCallback = (_, _, _, _) => true,
        };
        var socket = new Socket(target.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                connectTimeout.CancelAfter(settings.ConnectTimeout);
                try { await socket.ConnectAsync(target.EndPoint, connectTimeout.Token); }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    return new TargetUnusable($"connect to {target} timed out");
                }
            }
            await client.ConnectAsync(socket, target.Host, target.EndPoint.Port, SecureSocketOptions.StartTlsWhenAvailable, cancel);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            return new TargetUnusable($"connect to {target}: {e.SocketErrorCode}");
        }
        catch (Exception e) when (e is SmtpCommandException or SmtpProtocolException or IOException or SslHandshakeException)
        {
            socket.Dispose();
            return new TargetUnusable($"session with {target} failed before MAIL: {e.Message}");
        }

        try
        {
            var outcomes = await TransactAsync(client, target, envelope, recipients, message, cancel);
            try { await client.DisconnectAsync(quit: true, cancel); }
            catch (Exception e) when (e is IOException or SmtpProtocolException or SmtpCommandException) { /* mail is done */ }
            return new TransactionCompleted(outcomes);
        }
        catch (Exception e) when (e is IOException or SmtpProtocolException or OperationCanceledException && !cancel.IsCancellationRequested)
        {
            // The connection broke mid-transaction: nobody but the next hop knows whether the
            // data arrived, so defer (a duplicate is better than a loss).
            var detail = $"connection to {target} lost during transaction: {e.Message}";
            return new TransactionCompleted(recipients.Select(r => Outcome(r.Address, RecipientStatus.Deferred, "4.4.2", detail, target)).ToList());
        }
    }

    private static async Task<IReadOnlyList<RecipientOutcome>> TransactAsync(RelaySmtpClient client, DeliveryTarget target,
        Envelope envelope, IReadOnlyList<Recipient> recipients, ReadOnlyMemory<byte> message, CancellationToken cancel)
    {
        var capabilities = client.Capabilities;
        var mailFrom = new StringBuilder($"MAIL FROM:<{envelope.Sender}>");
        if (capabilities.HasFlag(SmtpCapabilities.Size)) mailFrom.Append(" SIZE=").Append(message.Length);
        if (envelope.Body == BodyType.EightBitMime && capabilities.HasFlag(SmtpCapabilities.EightBitMime)) mailFrom.Append(" BODY=8BITMIME");

        var mailReply = await client.CommandAsync(mailFrom.ToString(), cancel);
        if (!IsPositive(mailReply))
            return recipients.Select(r => FromReply(r.Address, mailReply, target)).ToList();

        // One refused recipient does not fail the others: each keeps its own RCPT reply.
        var outcomes = new RecipientOutcome?[recipients.Count];
        var accepted = new List<int>();
        for (var i = 0; i < recipients.Count; i++)
        {
            var reply = await client.CommandAsync($"RCPT TO:<{recipients[i].Address}>", cancel);
            if (IsPositive(reply)) accepted.Add(i);
            else outcomes[i] = FromReply(recipients[i].Address, reply, target);
        }
        if (accepted.Count == 0)
        {
            await client.CommandAsync("RSET", cancel);
            return outcomes.Select(o => o!).ToList();
        }

        var dataReply = await client.CommandAsync("DATA", cancel);
        var final = dataReply;
        if ((int)dataReply.StatusCode == 354)
        {
            var content = new ArrayBufferWriter<byte>(message.Length + message.Length / 64 + 8);
            DotStuffing.Write(message.Span, content);
            var connection = client.Connection;
            await connection.WriteAsync(content.WrittenMemory, cancel);
            final = await client.CommandAsync(".", cancel);
        }
        foreach (var i in accepted) outcomes[i] = FromReply(recipients[i].Address, final, target);
        return outcomes.Select(o => o!).ToList();
    }

    private static bool IsPositive(SmtpResponse reply) => (int)reply.StatusCode is >= 200 and < 400;

    private static RecipientOutcome FromReply(Mailbox recipient, SmtpResponse reply, DeliveryTarget target)
    {
        var code = (int)reply.StatusCode;
        var text = reply.Response.Replace("\n", " ");
        return Outcome(recipient, FailureClassifier.Classify(code), FailureClassifier.Dsn(code, text), $"{code} {text}", target);
    }

    private static RecipientOutcome Outcome(Mailbox recipient, RecipientStatus status, string dsn, string detail, DeliveryTarget target) =>
        new(recipient, status, dsn, detail, target.ToString());
}
