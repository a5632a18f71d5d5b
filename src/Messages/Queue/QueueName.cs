namespace Tunnel.Messages.Queue;

/// <summary>
/// The name of a DomainQueue entity: the domain itself for a domain that is not split (and for
/// sub-queue 0 of one that is, so the queues and journals from before splitting keep their
/// names), <c>domain#i</c> for its sub-queue i &gt; 0. '#' cannot occur in a domain name, so the
/// name always says which domain and which part it is.
/// </summary>
public static class QueueName
{
    public const char Separator = '#';

    public static string Of(string domain, int part) => part == 0 ? domain : $"{domain}{Separator}{part}";

    /// <summary>The domain a queue name belongs to: "hot.example#2" → "hot.example".</summary>
    public static string DomainOf(string queue)
    {
        var at = queue.IndexOf(Separator);
        return at < 0 ? queue : queue[..at];
    }

    /// <summary>The sub-queue a name names: "hot.example#2" → 2, "hot.example" → 0; a malformed suffix counts as 0.</summary>
    public static int PartOf(string queue)
    {
        var at = queue.IndexOf(Separator);
        return at >= 0 && int.TryParse(queue.AsSpan(at + 1), System.Globalization.NumberStyles.None, null, out var part) ? part : 0;
    }
}
