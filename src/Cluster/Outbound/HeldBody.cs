namespace Tunnel.Cluster.Outbound;

/// <summary>
/// A body read for one attempt, holding its room in the node's budget until disposed.
/// <see cref="BusyReason"/> says the attempt could not have it in time (its body is then null).
/// </summary>
public sealed record HeldBody(bool Owed, byte[]? Body, BodyBudget.Permit? Room, string? BusyReason) : IDisposable
{
    public static HeldBody Busy(bool owed, string reason) => new(owed, null, null, reason);

    public void Dispose() => Room?.Dispose();
}
