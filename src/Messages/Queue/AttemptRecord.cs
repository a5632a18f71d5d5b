namespace Tunnel.Messages.Queue;

/// <summary>
/// One delivery attempt as the operator sees it afterwards (<c>tunnel queue show</c>): when it
/// ended and what each recipient it covered got: route (<see cref="RecipientOutcome.Relay"/>),
/// verdict and reply. Kept per message, the latest few, in the DomainQueue's state and snapshot.
/// </summary>
public sealed record AttemptRecord(DateTimeOffset At, IReadOnlyList<RecipientOutcome> Outcomes);
