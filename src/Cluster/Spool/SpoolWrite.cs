using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Spool;

/// <summary>One change to the spool, applied by <see cref="SpoolWriter"/> inside a group transaction.</summary>
internal abstract record SpoolWrite
{
    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public sealed record Store(MessageId Id, ReadOnlyMemory<byte> Body, IReadOnlyList<string> Domains, DateTimeOffset At) : SpoolWrite;
    public sealed record Release(MessageId Id, string Domain) : SpoolWrite;
    public sealed record Delete(MessageId Id) : SpoolWrite;
}
