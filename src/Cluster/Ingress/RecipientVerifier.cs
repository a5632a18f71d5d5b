using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Ingress;

/// <summary>
/// Recipient verification against backscatter (<c>tunnel.relay.verify-recipients</c>), for the
/// sessions of one node: before a recipient of a tunneled domain is accepted, the real MX is
/// asked whether it takes it (MAIL FROM:&lt;&gt;, RCPT, RSET; never DATA), as Postfix's
/// reject_unverified_recipient does. An unknown recipient is then refused at RCPT (550 5.1.1),
/// so no bounce ever goes to a sender who may be forged. Answers are cached
/// (<see cref="RecipientVerdictCache"/>) and one question per address is asked at a time, however
/// many sessions want it. Owns the cache and the time bound; the asking is the probe's.
/// </summary>
public sealed class RecipientVerifier(Func<Mailbox, CancellationToken, Task<RecipientVerdict>> probe, RecipientVerification settings)
{
    private readonly RecipientVerdictCache _cache = new(settings.ValidFor, settings.InvalidFor, TimeSpan.FromMinutes(1), settings.MaxEntries);
    private readonly Dictionary<string, Task<RecipientVerdict>> _asking = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public async Task<RecipientVerdict> VerifyAsync(Mailbox recipient)
    {
        var key = recipient.ToString();
        Task<RecipientVerdict> answer;
        lock (_gate)
        {
            if (_cache.Find(key, DateTimeOffset.UtcNow) is { } known) return known;
            if (!_asking.TryGetValue(key, out answer!)) _asking[key] = answer = AskAsync(key, recipient);
        }
        return await answer;
    }

    private async Task<RecipientVerdict> AskAsync(string key, Mailbox recipient)
    {
        await Task.Yield(); // registered under the lock before the question starts
        RecipientVerdict verdict;
        using (var deadline = new CancellationTokenSource(settings.Timeout))
        {
            try
            {
                verdict = await probe(recipient, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                verdict = new RecipientVerdict.Unknown($"no answer within {settings.Timeout.TotalSeconds:0} s");
            }
        }
        lock (_gate)
        {
            _cache.Remember(key, verdict, DateTimeOffset.UtcNow);
            _asking.Remove(key);
        }
        return verdict;
    }
}

/// <summary>How recipients of tunneled domains are verified at RCPT (<c>tunnel.relay.verify-recipients</c> and <c>tunnel.relay.recipient-verification</c>).</summary>
/// <param name="Enabled">Ask the real MX before accepting a recipient of a tunneled domain.</param>
/// <param name="ValidFor">How long an address the MX took is trusted.</param>
/// <param name="InvalidFor">How long an address the MX refused stays refused.</param>
/// <param name="AcceptWhenUnknown">When the MX gives no answer (down, 4xx): accept the recipient (true) or answer 450 4.1.1.</param>
/// <param name="Timeout">Longest wait for an answer, within the client's RCPT.</param>
/// <param name="MaxEntries">Answers kept at most, per node.</param>
public sealed record RecipientVerification(bool Enabled, TimeSpan ValidFor, TimeSpan InvalidFor, bool AcceptWhenUnknown, TimeSpan Timeout,
    int MaxEntries)
{
    public static readonly RecipientVerification Off =
        new(false, TimeSpan.FromDays(7), TimeSpan.FromHours(3), true, TimeSpan.FromSeconds(30), 100_000);
}
