namespace Tunnel.Cluster.Queue;

/// <summary>An attempt the queue has given a slot to. <paramref name="Probe"/>: started while the destination was down.</summary>
public sealed record InFlightAttempt(long Token, DateTimeOffset StartedAt, bool Probe);

