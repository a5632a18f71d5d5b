using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Outbound;

/// <summary>How one attempt of one message ended, as the queue needs to know it.</summary>
/// <param name="Outcomes">A verdict for every recipient of the attempt.</param>
/// <param name="DestinationDown">No server of the domain could be reached at all (DNS trouble or no connection):
/// the whole destination waits, not just this message.</param>
/// <param name="NotOwed">The spool holds no reference of this domain to the message: its recipients here were
/// final already (the queue adopted it twice: a late notice, a repeated scan), so nothing was sent.</param>
/// <param name="Owed">The attempt read the domain's reference row and found it: the domain owes the message. False
/// for an attempt that failed before it could know (our own failure, a timeout).</param>
public sealed record AttemptReport(IReadOnlyList<RecipientOutcome> Outcomes, bool DestinationDown, bool NotOwed = false, bool Owed = true);
