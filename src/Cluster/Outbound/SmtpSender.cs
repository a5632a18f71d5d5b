using System.Net;
using System.Net.Sockets;
using System.Text;
using MailKit.Net.Smtp;
using System.Security.Cryptography.X509Certificates;
using MailKit.Security;
using Tunnel.Cluster.Outbound.Policy;
using Tunnel.Cluster.Routing;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Envelope = Tunnel.Messages.Mail.Envelope;

namespace Tunnel.Cluster.Outbound;

/// <summary>
/// Delivers one message to one target over a socket we connect ourselves (so the address,
/// family and source address are ours to choose), with MailKit for the session set-up and our
/// own transaction for byte-exact data; the connection is then kept for the next message to the
/// same server (<see cref="SmtpConnectionCache"/>). Per-recipient replies are kept: one refused
/// recipient does not fail the others. Connections stay within the node's limits
/// (<see cref="ConnectionSlots"/>: per next-hop address and in all); a delivery that cannot have
/// one within <c>capacity-wait</c> gets <see cref="TargetBusy"/>. Owns: SMTP connections. Does
/// not own: which target to try next (the Courier walks the plan) or retries (Queue/).
/// </summary>
public sealed class SmtpSender : IDisposable
{
    private readonly OutboundSettings _settings;
    private readonly ConnectionSlots _slots;
    private readonly SmtpConnectionCache _cache;

    public SmtpSender(OutboundSettings settings)
    {
        _settings = settings;
        _slots = new ConnectionSlots(settings.MaxConnections, settings.ConnectionsPerAddress);
        _cache = new SmtpConnectionCache(settings.ConnectionCacheTime ?? TimeSpan.FromSeconds(2), settings.ConnectionReuseLimit,
            wanted: target => _slots.Wanted(target.EndPoint.Address));
    }

    public OutboundSettings Settings => _settings;

    /// <summary>
    /// The cluster has <paramref name="members"/> members: with a cluster-wide per-address limit,
    /// this node's share of it becomes its per-address limit (<see cref="ClusterShare"/>);
    /// without one nothing changes. Returns the limit now in force.
    /// </summary>
    public int ShareAddresses(int members)
    {
        if (_settings.ClusterConnectionsPerAddress is not { } limit) return _slots.PerAddress;
        var share = ClusterShare.PerNode(limit, members, _settings.ConnectionsPerAddress);
        _slots.SetPerAddress(share, $"this node's share of tunnel.outbound.cluster-connections-per-address = {limit} over {members} members");
        return share;
    }

    /// <param name="tls">What the destination's TLS policy asks of the connection; null: opportunistic.</param>
    public async Task<TransactionResult> SendAsync(DeliveryTarget target, Envelope envelope, IReadOnlyList<Recipient> recipients,
        ReadOnlyMemory<byte> message, CancellationToken cancel, TlsRequirement? tls = null)
    {
        tls ??= TlsRequirement.Opportunistic;
        // A cached connection first (one whose TLS will do); one the server closed meanwhile
        // fails at once and is replaced by a new one, which is not a failed attempt.
        for (var cached = _cache.Take(target, Suits); cached is not null; cached = _cache.Take(target, Suits))
            if (await TransactOnAsync(cached, target, envelope, recipients, message, reused: true, tls, cancel) is { } result)
                return result;

        var (handed, slot) = await SlotOrHandOffAsync(target, Suits, cancel);
        if (handed is not null)
        {
            if (await TransactOnAsync(handed, target, envelope, recipients, message, reused: true, tls, cancel) is { } result)
                return result;
            slot = await SlotAsync(target, cancel); // it broke meanwhile: open one of our own
        }
        if (slot is null)
            return new TargetBusy($"no connection to {target} within {_settings.WaitText}: {_slots.Why(target.EndPoint.Address)}");
        var opened = await OpenAsync(target, slot, tls, cancel);
        if (opened.Client is null) return opened.Unusable!;
        return (await TransactOnAsync(opened.Client, target, envelope, recipients, message, reused: false, tls, cancel))!;

        bool Suits(RelaySmtpClient client) => Shareable(client, target, tls) && tls.SatisfiedBy(client.Tls);
    }

    /// <summary>
    /// Whether a connection opened for <paramref name="client"/>'s host may carry a delivery to
    /// <paramref name="target"/> (the same address): always for the same host name, and for
    /// another name only when the delivery's TLS policy checks no name (see the cache).
    /// </summary>
    private static bool Shareable(RelaySmtpClient client, DeliveryTarget target, TlsRequirement tls) =>
        tls.NamesNoHost || string.Equals(client.Host, target.Host, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Room for a new connection to <paramref name="target"/> (<see cref="SlotAsync"/>) or, while
    /// waiting for it, a connection to the same target that another delivery gives back (it
    /// brings its own slot): whichever comes first. Exactly one of the two is returned, or
    /// neither when no room came within <c>capacity-wait</c>.
    /// </summary>
    private async Task<(RelaySmtpClient? Handed, ConnectionSlots.Permit? Slot)> SlotOrHandOffAsync(DeliveryTarget target,
        Func<RelaySmtpClient, bool> suits, CancellationToken cancel)
    {
        if (_slots.TryEnter(target.EndPoint.Address) is { } permit) return (null, permit);
        if (!_cache.Enabled) return (null, await SlotAsync(target, cancel));
        var handOff = _cache.Expect(target, suits);
        using var stop = new CancellationTokenSource();
        var slot = SlotAsync(target, cancel, stop.Token);
        if (await Task.WhenAny(slot, handOff.Connection.Task) == slot && _cache.Withdraw(handOff))
            return (null, await slot);
        // Handed a connection (perhaps just as room came): it is ours; room we no longer need goes
        // back. Withdrawing ends the wait with null, not an exception: this is the common case.
        await stop.CancelAsync();
        try { (await slot)?.Dispose(); }
        catch (OperationCanceledException) { /* the node stops meanwhile; the handed connection is still ours to use or close */ }
        return (await handOff.Connection.Task, null);
    }

    /// <summary>
    /// Asks <paramref name="target"/> whether it takes <paramref name="recipient"/>, without
    /// sending anything (recipient verification, like Postfix's verify probes): MAIL FROM:&lt;&gt;,
    /// RCPT TO:, then RSET; the connection goes back to the cache like a delivery's and counts
    /// in the same limits. A refused MAIL is no answer about the recipient (4xx, so "unknown").
    /// </summary>
    public async Task<TransactionResult> ProbeAsync(DeliveryTarget target, Mailbox recipient, CancellationToken cancel)
    {
        bool Suits(RelaySmtpClient client) => Shareable(client, target, TlsRequirement.Opportunistic);
        for (var cached = _cache.Take(target, Suits); cached is not null; cached = _cache.Take(target, Suits))
            if (await ProbeOnAsync(cached, target, recipient, cancel) is { } answer) return answer;
        if (await SlotAsync(target, cancel) is not { } slot)
            return new TargetBusy($"no connection to {target} within {_settings.WaitText}: {_slots.Why(target.EndPoint.Address)}");
        var opened = await OpenAsync(target, slot, TlsRequirement.Opportunistic, cancel);
        if (opened.Client is null) return opened.Unusable!;
        return await ProbeOnAsync(opened.Client, target, recipient, cancel)
               ?? new TargetUnusable($"{target} broke off the probe");
    }

    /// <returns>The answer, or null when the connection turned out unusable (a cached one closed or out of step).</returns>
    private async Task<TransactionResult?> ProbeOnAsync(RelaySmtpClient client, DeliveryTarget target, Mailbox recipient, CancellationToken cancel)
    {
        try
        {
            var mail = await client.CommandAsync("MAIL FROM:<>", cancel);
            if ((int)mail.StatusCode == 503) { SmtpConnectionCache.Close(client); return null; }
            var answer = (int)mail.StatusCode is >= 200 and < 300
                ? await client.CommandAsync($"RCPT TO:<{recipient}>", cancel)
                : null;
            if (answer is { StatusCode: SmtpStatusCode.BadCommandSequence }) { SmtpConnectionCache.Close(client); return null; }
            if (await ResetAsync(client, cancel)) _cache.Return(target, client);
            else SmtpConnectionCache.Close(client);
            return answer is null
                ? new ProbeAnswered(451, $"{target.Host} refused the probe's null sender: {(int)mail.StatusCode} {mail.Response}")
                : new ProbeAnswered((int)answer.StatusCode, $"{(int)answer.StatusCode} {answer.Response}");
        }
        catch (Exception e) when (e is IOException or SmtpProtocolException or OperationCanceledException && !cancel.IsCancellationRequested)
        {
            SmtpConnectionCache.Close(client);
            return null;
        }
        catch
        {
            SmtpConnectionCache.Close(client);
            throw;
        }
    }

    public void Dispose() => _cache.Dispose();

    /// <summary>
    /// A place for a new connection to <paramref name="target"/> within the node's limits. When
    /// there is none, the idle connection that has waited longest and holds what is missing (one
    /// to the same address, else any) is closed to make room, and the delivery waits its turn up
    /// to <c>capacity-wait</c>; null when it did not come.
    /// </summary>
    private async Task<ConnectionSlots.Permit?> SlotAsync(DeliveryTarget target, CancellationToken cancel, CancellationToken withdraw = default)
    {
        var address = target.EndPoint.Address;
        if (_slots.TryEnter(address) is { } permit) return permit;
        var addressFull = _slots.OpenTo(address) >= _slots.PerAddress;
        _cache.CloseOldest(addressFull ? cached => cached.EndPoint.Address.Equals(address) : _ => true);
        return await _slots.EnterAsync(address, _settings.Wait, cancel, withdraw);
    }

    /// <summary>
    /// A new session with <paramref name="target"/>, STARTTLS as <paramref name="tls"/> asks. An
    /// opportunistic handshake that fails is retried at once on the same host in plaintext, as
    /// Postfix does (smtp_tls_security_level = may): encryption that cannot be had must not stop
    /// the mail. Where TLS is required, no STARTTLS (4.7.4), a failed handshake or a certificate
    /// not valid for the MX host (4.7.5) makes the target unusable before MAIL: never plaintext.
    /// </summary>
    private async Task<(RelaySmtpClient? Client, TargetUnusable? Unusable)> OpenAsync(DeliveryTarget target, ConnectionSlots.Permit slot,
        TlsRequirement tls, CancellationToken cancel)
    {
        var opened = await ConnectAsync(target, slot, tls, plaintext: false, cancel);
        if (opened.HandshakeFailed is not { } failure) return (opened.Client, opened.Unusable);
        var again = await ConnectAsync(target, slot, tls, plaintext: true, cancel);
        if (again.Unusable is { } unusable) return (null, unusable with { Detail = $"{unusable.Detail} (in plaintext after TLS failed: {failure})" });
        return (again.Client, null);
    }

    private async Task<(RelaySmtpClient? Client, TargetUnusable? Unusable, string? HandshakeFailed)> ConnectAsync(DeliveryTarget target,
        ConnectionSlots.Permit slot, TlsRequirement tls, bool plaintext, CancellationToken cancel)
    {
        string? certificateProblem = null;
        var client = new RelaySmtpClient
        {
            Host = target.Host,
            LocalDomain = _settings.Hostname,
            Timeout = (int)_settings.CommandTimeout.TotalMilliseconds,
            // The certificate is always checked (the log says "verified" when it was), but only a
            // policy that requires verification refuses it: opportunistically, a certificate we
            // cannot verify still encrypts, and refusing it would only push the mail to plaintext.
            ServerCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                certificateProblem = certificate is null ? "no certificate"
                    : tls.Dane
                        ? DaneCheck.Problem(tls.Tlsa!, X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()),
                            CertificateCheck.Presented(chain), target.Host, DateTimeOffset.UtcNow)
                        : CertificateCheck.Problem(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()),
                            CertificateCheck.Presented(chain), target.Host, _settings.Tls.TrustedCas, DateTimeOffset.UtcNow);
                return certificateProblem is null || !tls.RequiresVerification;
            },
            Slot = slot, // given back when the client is disposed, whichever way that happens
        };
        var socket = new Socket(target.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            var source = target.EndPoint.AddressFamily == AddressFamily.InterNetwork ? _settings.SourceIpv4 : _settings.SourceIpv6;
            if (source is not null) socket.Bind(new IPEndPoint(source, 0));
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                connectTimeout.CancelAfter(_settings.ConnectTimeout);
                try { await socket.ConnectAsync(target.EndPoint, connectTimeout.Token); }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    Discard(client, socket);
                    return (null, new TargetUnusable($"connect to {target} timed out"), null);
                }
            }
            var options = plaintext ? SecureSocketOptions.None
                : tls.RequiresTls ? SecureSocketOptions.StartTls
                : SecureSocketOptions.StartTlsWhenAvailable;
            await client.ConnectAsync(socket, target.Host, target.EndPoint.Port, options, cancel);
            client.Tls = client.IsSecure
                ? new TlsOutcome(true, certificateProblem, client.SslProtocol.ToString(), client.SslCipherSuite?.ToString(), tls.Dane)
                : TlsOutcome.Plaintext;
            return (client, null, null);
        }
        catch (SocketException e)
        {
            Discard(client, socket);
            return (null, new TargetUnusable($"connect to {target}: {e.SocketErrorCode}"), null);
        }
        catch (NotSupportedException) when (tls.RequiresTls)
        {
            // MailKit's answer to SecureSocketOptions.StartTls when EHLO did not offer STARTTLS.
            Discard(client, socket);
            return (null, new TargetUnusable($"TLS is required, but {target} does not offer STARTTLS", "4.7.4"), null);
        }
        catch (SslHandshakeException e)
        {
            if (!tls.RequiresTls)
            {
                client.Slot = null; // the plaintext retry keeps the slot
                Discard(client, socket);
                return (null, null, Inner(e));
            }
            Discard(client, socket);
            return (null, new TargetUnusable(certificateProblem is not null && tls.RequiresVerification
                ? $"{target}: certificate not verified: {certificateProblem}"
                : $"TLS handshake with {target} failed: {Inner(e)}", "4.7.5"), null);
        }
        catch (Exception e) when (e is SmtpCommandException or SmtpProtocolException or IOException)
        {
            Discard(client, socket);
            return (null, new TargetUnusable($"session with {target} failed before MAIL: {e.Message}"), null);
        }
        catch
        {
            Discard(client, socket); // cancelled (the node stops): nothing keeps this connection
            throw;
        }
    }

    /// <summary>MailKit's SslHandshakeException explains at length how to turn verification off; the cause is in the inner exception.</summary>
    private static string Inner(Exception e) => e.InnerException?.Message ?? e.Message;

    private static void Discard(RelaySmtpClient client, Socket socket)
    {
        socket.Dispose();
        client.Dispose();
    }

    /// <summary>
    /// One transaction on an open connection; null when a cached connection turned out unusable
    /// before anything of the message was sent (closed, or out of step: see
    /// <see cref="FailureClassifier.OurStateIsWrong"/>), so the message goes on another one.
    /// </summary>
    private async Task<TransactionResult?> TransactOnAsync(RelaySmtpClient client, DeliveryTarget target, Envelope envelope,
        IReadOnlyList<Recipient> recipients, ReadOnlyMemory<byte> message, bool reused, TlsRequirement tls, CancellationToken cancel)
    {
        var offersDsn = client.Capabilities.HasFlag(SmtpCapabilities.Dsn);
        var outcome = client.Tls.For(target.Host, client.Host);
        var summary = tls.Summary(outcome);
        IReadOnlyList<RecipientOutcome> WithTls(IEnumerable<RecipientOutcome> outcomes) => outcomes.Select(o => o with { Tls = summary }).ToList();
        try
        {
            var transaction = await TransactAsync(client, target, envelope, recipients, message, reused, cancel);
            if (transaction is null)
            {
                SmtpConnectionCache.Close(client);
                return null;
            }
            client.Transactions++;
            if (!transaction.Failed || await ResetAsync(client, cancel)) _cache.Return(target, client);
            else SmtpConnectionCache.Close(client);
            return new TransactionCompleted(WithTls(transaction.Outcomes), offersDsn, outcome);
        }
        catch (Exception e) when (e is IOException or SmtpProtocolException or OperationCanceledException && !cancel.IsCancellationRequested)
        {
            // The connection broke mid-transaction: nobody but the next hop knows whether the
            // data arrived, so defer (a duplicate is better than a loss).
            SmtpConnectionCache.Close(client);
            var detail = $"connection to {target} lost during transaction: {e.Message}";
            return new TransactionCompleted(WithTls(recipients.Select(r => Outcome(r.Address, RecipientStatus.Deferred, "4.4.2", detail, target))),
                offersDsn, outcome);
        }
        catch
        {
            SmtpConnectionCache.Close(client); // cancelled mid-transaction: never reused
            throw;
        }
    }

    /// <summary>
    /// RSET after a transaction that did not end in a 2xx to its data (RFC 5321 §4.1.1.5): only
    /// the server knows what it kept of a refused MAIL, RCPT, DATA or message, and some keep the
    /// transaction open, so the next MAIL would get 503. The connection is reused only after a
    /// 250; a refusal, a 421, no answer within Postfix's smtp_rset_timeout (20 s) or a broken
    /// connection close it instead (the transaction's verdicts stand either way).
    /// </summary>
    /// <returns>Whether the connection is clean and may be reused.</returns>
    private static async Task<bool> ResetAsync(RelaySmtpClient client, CancellationToken cancel)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(ResetTimeout);
        try
        {
            return (int)(await client.CommandAsync("RSET", deadline.Token)).StatusCode == 250;
        }
        catch (Exception e) when (e is IOException or SmtpProtocolException or OperationCanceledException && !cancel.IsCancellationRequested)
        {
            return false;
        }
    }

    private static readonly TimeSpan ResetTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The verdicts of one transaction, and whether it ended without a 2xx to its data (so RSET is due).</summary>
    private sealed record Transaction(IReadOnlyList<RecipientOutcome> Outcomes, bool Failed);

    /// <returns>
    /// Every recipient's outcome, or null when a reused connection turned out unusable before
    /// anything of the message was sent: closed (at MAIL), or 503 before the data.
    /// </returns>
    private static async Task<Transaction?> TransactAsync(RelaySmtpClient client, DeliveryTarget target,
        Envelope envelope, IReadOnlyList<Recipient> recipients, ReadOnlyMemory<byte> message, bool reused, CancellationToken cancel)
    {
        var capabilities = client.Capabilities;
        // A message that needs an extension the next hop lacks cannot be relayed unchanged.
        // Nothing was sent, so the connection is as clean as it was.
        if (envelope.SmtpUtf8 && !capabilities.HasFlag(SmtpCapabilities.UTF8))
            return new(All(recipients, "5.6.7", $"{target.Host} does not offer SMTPUTF8, which this message needs (RFC 6531 §3.4)", target), Failed: false);
        if (envelope.Body == BodyType.EightBitMime && !capabilities.HasFlag(SmtpCapabilities.EightBitMime))
            return new(All(recipients, "5.6.3", $"{target.Host} does not offer 8BITMIME; converting the message would alter it (RFC 6152 §3)", target), Failed: false);

        var dsn = capabilities.HasFlag(SmtpCapabilities.Dsn);
        SmtpResponse mailReply;
        try
        {
            mailReply = await client.CommandAsync(MailFrom(envelope, message.Length, capabilities), cancel);
        }
        catch (Exception e) when (reused && e is IOException or SmtpProtocolException)
        {
            return null; // the server closed the idle connection: not this message's failure
        }
        // A server that timed the idle connection out may still say so (421) before closing.
        if (reused && (int)mailReply.StatusCode == 421) return null;
        if (OutOfStep(mailReply, reused)) return null;
        if (!IsPositive(mailReply))
            return new(recipients.Select(r => FromReply(r.Address, mailReply, target, reused)).ToList(), Failed: true);

        // One refused recipient does not fail the others: each keeps its own RCPT reply.
        var outcomes = new RecipientOutcome?[recipients.Count];
        var accepted = new List<int>();
        for (var i = 0; i < recipients.Count; i++)
        {
            var reply = await client.CommandAsync(RcptTo(recipients[i], dsn), cancel);
            if (OutOfStep(reply, reused)) return null;
            if (IsPositive(reply)) accepted.Add(i);
            else outcomes[i] = FromReply(recipients[i].Address, reply, target, reused);
        }
        if (accepted.Count == 0) return new(outcomes.Select(o => o!).ToList(), Failed: true);

        var dataReply = await client.CommandAsync("DATA", cancel);
        var final = dataReply;
        if ((int)dataReply.StatusCode == 354)
        {
            // Straight from the stored body, piece by piece: MailKit's stream buffers the small ones.
            var connection = client.Connection;
            foreach (var piece in DotStuffing.Pieces(message)) await connection.WriteAsync(piece, cancel);
            final = await client.CommandAsync(".", cancel);
        }
        else if (OutOfStep(dataReply, reused)) return null;
        foreach (var i in accepted) outcomes[i] = FromReply(recipients[i].Address, final, target, reused);
        return new(outcomes.Select(o => o!).ToList(), Failed: (int)final.StatusCode is < 200 or >= 300);
    }

    /// <summary>503 on a reused connection before any data went out: abandon it, the message goes on a fresh one.</summary>
    private static bool OutOfStep(SmtpResponse reply, bool reused) => FailureClassifier.OurStateIsWrong((int)reply.StatusCode, reused);

    /// <summary>MAIL FROM with the parameters the next hop offers and the envelope carries.</summary>
    public static string MailFrom(Envelope envelope, long size, SmtpCapabilities capabilities)
    {
        var command = new StringBuilder($"MAIL FROM:<{envelope.Sender}>");
        if (capabilities.HasFlag(SmtpCapabilities.Size)) command.Append(" SIZE=").Append(size);
        if (envelope.Body == BodyType.EightBitMime) command.Append(" BODY=8BITMIME");
        if (envelope.SmtpUtf8) command.Append(" SMTPUTF8");
        if (capabilities.HasFlag(SmtpCapabilities.Dsn))
        {
            if (envelope.Return != DsnReturn.Unspecified) command.Append(envelope.Return == DsnReturn.Full ? " RET=FULL" : " RET=HDRS");
            if (envelope.EnvelopeId is not null) command.Append(" ENVID=").Append(Xtext.Encode(envelope.EnvelopeId));
        }
        return command.ToString();
    }

    /// <summary>RCPT TO, with NOTIFY and ORCPT passed on when the next hop offers DSN (RFC 3461 §4.1, §4.2).</summary>
    public static string RcptTo(Recipient recipient, bool dsn)
    {
        var command = new StringBuilder($"RCPT TO:<{recipient.Address}>");
        if (!dsn) return command.ToString();
        if (recipient.Notify != DsnNotify.Unspecified)
        {
            var words = recipient.Notify.HasFlag(DsnNotify.Never)
                ? ["NEVER"]
                : new[] { (DsnNotify.Success, "SUCCESS"), (DsnNotify.Failure, "FAILURE"), (DsnNotify.Delay, "DELAY") }
                    .Where(w => recipient.Notify.HasFlag(w.Item1)).Select(w => w.Item2);
            command.Append(" NOTIFY=").Append(string.Join(',', words));
        }
        if (recipient.OriginalRecipient is { } orcpt)
        {
            var semicolon = orcpt.IndexOf(';');
            command.Append(" ORCPT=").Append(semicolon < 0 ? "rfc822;" + Xtext.Encode(orcpt) : orcpt[..(semicolon + 1)] + Xtext.Encode(orcpt[(semicolon + 1)..]));
        }
        return command.ToString();
    }

    private static bool IsPositive(SmtpResponse reply) => (int)reply.StatusCode is >= 200 and < 400;

    private static IReadOnlyList<RecipientOutcome> All(IReadOnlyList<Recipient> recipients, string dsn, string detail, DeliveryTarget target) =>
        recipients.Select(r => Outcome(r.Address, RecipientStatus.Failed, dsn, detail, target)).ToList();

    private static RecipientOutcome FromReply(Mailbox recipient, SmtpResponse reply, DeliveryTarget target, bool reused)
    {
        var code = (int)reply.StatusCode;
        var text = reply.Response.Replace("\n", " ");
        return Outcome(recipient, FailureClassifier.Classify(code, reused), FailureClassifier.Dsn(code, text, reused), $"{code} {text}", target);
    }

    private static RecipientOutcome Outcome(Mailbox recipient, RecipientStatus status, string dsn, string detail, DeliveryTarget target) =>
        new(recipient, status, dsn, detail, target.ToString());
}
