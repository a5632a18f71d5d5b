using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// How many sub-queues a destination domain's mail is spread over (<c>tunnel.queue.split</c>,
/// per domain, and <c>tunnel.queue.split-default</c>), and which one a message goes to: a
/// stable hash (FNV-1a) of its queue id modulo the domain's count, so the choice is the same on
/// every node and every run. It is made once, when the message is stored, and the reference row
/// keeps it (<see cref="NewMail.Part"/>): a later change of the split sends new mail elsewhere
/// but leaves what is queued with the sub-queue that owns it. Pure.
/// </summary>
public sealed class QueueSplit
{
    /// <summary>The most sub-queues one domain may have.</summary>
    public const int Max = 64;

    private readonly IReadOnlyDictionary<string, int> _domains;

    public QueueSplit(int defaultParts, IReadOnlyDictionary<string, int>? domains = null)
    {
        if (defaultParts is < 1 or > Max) throw new ArgumentOutOfRangeException(nameof(defaultParts), $"must be 1 to {Max}");
        _domains = domains ?? new Dictionary<string, int>();
        if (_domains.Values.Any(v => v is < 1 or > Max)) throw new ArgumentOutOfRangeException(nameof(domains), $"must be 1 to {Max}");
        Default = defaultParts;
    }

    /// <summary>No domain split: every domain is one queue.</summary>
    public static QueueSplit None { get; } = new(1);

    public int Default { get; }

    public IReadOnlyDictionary<string, int> Domains => _domains;

    // Counts grown with a backlog (split-growth), as the cluster's replicated registry last said.
    private volatile IReadOnlyDictionary<string, int> _grown = new Dictionary<string, int>();

    /// <summary>How many sub-queues <paramref name="domain"/> has by configuration.</summary>
    public int ConfiguredPartsOf(string domain) => _domains.TryGetValue(domain, out var parts) ? parts : Default;

    /// <summary>How many sub-queues <paramref name="domain"/> has for new mail: the configured count, or more where it grew.</summary>
    public int PartsOf(string domain)
    {
        var configured = ConfiguredPartsOf(domain);
        return _grown.TryGetValue(domain, out var grown) && grown > configured ? Math.Min(grown, Max) : configured;
    }

    /// <summary>The counts grown with a backlog, as the cluster agrees on them now (<see cref="SplitRegistry"/>).</summary>
    public IReadOnlyDictionary<string, int> Grown => _grown;

    /// <summary>Replaces the grown counts (the registry's replicated state changed).</summary>
    public void SetGrown(IReadOnlyDictionary<string, int> grown) => _grown = grown;

    /// <summary>The sub-queue new mail with <paramref name="id"/> to <paramref name="domain"/> goes to: 0 to parts − 1.</summary>
    public int PartOf(MessageId id, string domain) => Part(id, PartsOf(domain));

    /// <summary>The queue name new mail with <paramref name="id"/> to <paramref name="domain"/> goes to.</summary>
    public string QueueOf(MessageId id, string domain) => QueueName.Of(domain, PartOf(id, domain));

    public static int Part(MessageId id, int parts) => parts <= 1 ? 0 : (int)(Fnv1a(id.Value) % (uint)parts);

    private static uint Fnv1a(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 16777619u;
        }
        return hash;
    }
}
