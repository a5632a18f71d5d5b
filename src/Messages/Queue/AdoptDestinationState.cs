namespace Tunnel.Messages.Queue;

/// <summary>
/// One sub-queue of a split domain tells a sibling what it found of the destination they share
/// (issue 15: "what is shared stays shared: the destination-down state"): down until
/// <see cref="DownUntil"/>, or reachable again when it is null. <see cref="ReportedBy"/> is the
/// telling sub-queue's part, for the mail log. Only a sub-queue's own attempts make it tell;
/// what it was told it never passes on. Nothing of it is persisted: like the destination state
/// itself it lives in memory, and a lost one costs only the attempts it would have spared.
/// </summary>
public sealed record AdoptDestinationState(string Queue, DateTimeOffset? DownUntil, int ReportedBy) : IDomainQueueCommand;
