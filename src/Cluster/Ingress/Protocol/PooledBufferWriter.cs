using System.Buffers;
using System.Numerics;

namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>
/// A message's content as it is received: one contiguous buffer from the shared pool, doubled
/// as it fills, each outgrown array going back to the pool. A 100 KiB message otherwise left
/// about 250 KiB of outgrown arrays per message for the garbage collector, half of it in the
/// large object heap. With a <see cref="ContentBudget"/>, every array is paid for from the node's
/// budget before it is taken; when the budget cannot pay, the writer stops keeping content
/// (<see cref="OutOfBudget"/>: what follows is counted and dropped) and the message is refused
/// at its end. The owner returns the last array and its share of the budget
/// (<see cref="Dispose"/>) once nothing reads <see cref="WrittenMemory"/> any more.
/// </summary>
public sealed class PooledBufferWriter(int initialSize, ContentBudget? budget = null) : IBufferWriter<byte>, IDisposable
{
    private const int ScratchSize = 16 * 1024;
    private byte[] _buffer = [];
    private byte[]? _scratch;
    private int _written;
    private long _paid;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);
    public int WrittenCount => _written;

    /// <summary>The budget could not pay for the content: it is no longer kept, the message must be refused.</summary>
    public bool OutOfBudget { get; private set; }

    public void Advance(int count)
    {
        if (OutOfBudget) return; // dropped
        if (count < 0 || _written + count > _buffer.Length) throw new ArgumentOutOfRangeException(nameof(count));
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => Reserve(sizeHint) ? _buffer.AsMemory(_written) : Scratch(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => Reserve(sizeHint) ? _buffer.AsSpan(_written) : Scratch(sizeHint).Span;

    private bool Reserve(int sizeHint)
    {
        if (OutOfBudget) return false;
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length) return true;
        var size = Math.Max(needed, Math.Max(initialSize, _buffer.Length * 2));
        // The pool hands out a power of two at least this big: that is what memory it costs.
        var cost = (long)BitOperations.RoundUpToPowerOf2((uint)size) - _buffer.Length;
        if (budget is not null && !budget.TryReserve(cost))
        {
            OutOfBudget = true;
            return false;
        }
        _paid += cost;
        var grown = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _written).CopyTo(grown);
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
        return true;
    }

    private Memory<byte> Scratch(int sizeHint) =>
        _scratch is { } scratch && scratch.Length >= sizeHint ? scratch : _scratch = new byte[Math.Max(ScratchSize, sizeHint)];

    public void Dispose()
    {
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        budget?.Release(_paid);
        _paid = 0;
        _buffer = [];
        _written = 0;
    }
}
