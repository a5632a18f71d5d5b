using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Spool;

/// <summary>One change to the spool, applied by <see cref="SpoolWriter"/> inside a group transaction.</summary>
internal abstract record SpoolWrite
{
    /// <summary>Completed when the change is durable; failed when its transaction failed.</summary>
    public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// A message into the outbox: its body and one reference row per recipient domain, in the
    /// transaction that decides the 250. Until the writer commits it, the caller may abandon it
    /// (it stopped waiting and answers 451); the writer then takes its rows back out of the
    /// transaction before the commit, so "451" always means "nothing kept". With a
    /// <see cref="Guard"/> (a DSN) it is stored only if the original's reference has not yet
    /// recorded a notice of that kind; <see cref="Done"/> then says whether it was stored.
    /// </summary>
    public sealed record Store(MessageId Id, MessageBody Body, IReadOnlyList<SpoolReference> References, DateTimeOffset At,
        NoticeGuard? Guard, StoreTiming Timing) : SpoolWrite
    {
        private const int Pending = 0, Committing = 1, Abandoned = 2;
        private int _state;

        /// <summary>The caller gives up; false when the commit has already begun (then wait for it).</summary>
        public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Pending) != Committing;

        /// <summary>The writer is about to commit; false when the caller abandoned it first.</summary>
        public bool TryClaim() => Interlocked.CompareExchange(ref _state, Committing, Pending) == Pending;

        public bool IsAbandoned => Volatile.Read(ref _state) == Abandoned;
    }

    public sealed record Release(MessageId Id, string Domain) : SpoolWrite;

    public sealed record MarkAdopted(string Domain, IReadOnlyList<MessageId> Ids) : SpoolWrite;

    /// <summary>A destination's MTA-STS policy as fetched (RFC 8461), replacing the one stored before: every node reuses it until it expires.</summary>
    public sealed record PutMtaStsPolicy(StoredMtaStsPolicy Policy) : SpoolWrite;

    public sealed record SweepOrphans(DateTimeOffset Before) : SpoolWrite
    {
        public List<OrphanRemoved> Removed { get; } = [];
    }
}

/// <summary>One recipient domain's reference row in the outbox: what its queue adopts (a serialized <see cref="Messages.Queue.NewMail"/>).</summary>
public sealed record SpoolReference(string Domain, int Part, byte[] Envelope);

/// <summary>A DSN is stored only once per (original message, domain, kind).</summary>
public sealed record NoticeGuard(MessageId Original, string Domain, string Kind);

/// <summary>What the orphan sweep removed: a body nobody referenced, or a reference without a body.</summary>
public sealed record OrphanRemoved(MessageId Id, string? Domain, DateTimeOffset CreatedAt);

/// <summary>
/// A destination's MTA-STS policy as the cluster keeps it (RFC 8461 §5.1: cached for max_age):
/// the policy text as fetched, parsed again by whoever reads it, and the TXT id it was fetched under.
/// </summary>
public sealed record StoredMtaStsPolicy(string Domain, string Id, string Text, DateTimeOffset FetchedAt, DateTimeOffset ExpiresAt);
