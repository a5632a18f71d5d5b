using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Outbound;

/// <summary>How one attempt of one message ended, as the queue needs to know it.</summary>
/// <param name="Outcomes">A verdict for every recipient of the attempt.</param>
/// <param name="DestinationDown">No server of the domain could be reached at all (DNS trouble or no connection):
/// the whole destination waits, not just this message.</param>
/// <param name="BodyMissing">The spool has no body for the message: its submission never completed
/// (ingress answered 4xx, or died before the body was stored), so there is nothing to deliver.</param>
public sealed record AttemptReport(IReadOnlyList<RecipientOutcome> Outcomes, bool DestinationDown, bool BodyMissing = false);
