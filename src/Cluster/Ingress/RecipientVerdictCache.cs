namespace Tunnel.Cluster.Ingress;

/// <summary>
/// The answers of recipient verification, kept as Postfix's verify cache keeps them: a valid
/// address for days, an invalid one for hours (it may be created), no answer for a minute (so
/// that an MX that is down is not asked again on every RCPT). Bounded: past
/// <c>maxEntries</c> the oldest answer goes. Pure: the time is passed in; not thread-safe.
/// </summary>
public sealed class RecipientVerdictCache(TimeSpan validFor, TimeSpan invalidFor, TimeSpan unknownFor, int maxEntries)
{
    private readonly Dictionary<string, (RecipientVerdict Verdict, DateTimeOffset Until)> _answers = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, DateTimeOffset Until)> _order = new();

    public int Count => _answers.Count;

    /// <summary>The answer still valid at <paramref name="now"/>, or null.</summary>
    public RecipientVerdict? Find(string address, DateTimeOffset now)
    {
        if (!_answers.TryGetValue(address, out var answer)) return null;
        if (answer.Until > now) return answer.Verdict;
        _answers.Remove(address);
        return null;
    }

    public void Remember(string address, RecipientVerdict verdict, DateTimeOffset now)
    {
        var until = now + verdict switch
        {
            RecipientVerdict.Valid => validFor,
            RecipientVerdict.Invalid => invalidFor,
            _ => unknownFor,
        };
        _answers[address] = (verdict, until);
        _order.Enqueue((address, until));
        while (_answers.Count > maxEntries && _order.TryDequeue(out var oldest))
        {
            // Only the entry this queue slot was made for: a newer answer for the address stays.
            if (_answers.TryGetValue(oldest.Key, out var current) && current.Until == oldest.Until) _answers.Remove(oldest.Key);
        }
        // Slots of answers replaced since keep the queue from growing past twice the bound.
        while (_order.Count > 2 * Math.Max(maxEntries, 1) && _order.TryPeek(out var stale)
               && (!_answers.TryGetValue(stale.Key, out var live) || live.Until != stale.Until))
            _order.Dequeue();
    }
}
