using System.Buffers;

namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>
/// A message's content as it is received: one contiguous buffer from the shared pool, doubled
/// as it fills, each outgrown array going back to the pool. A 100 KiB message otherwise left
/// about 250 KiB of outgrown arrays per message for the garbage collector, half of it in the
/// large object heap. The owner returns the last array (<see cref="Dispose"/>) once nothing
/// reads <see cref="WrittenMemory"/> any more; an array never returned is merely collected.
/// </summary>
public sealed class PooledBufferWriter(int initialSize) : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer = [];
    private int _written;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);
    public int WrittenCount => _written;

    public void Advance(int count)
    {
        if (count < 0 || _written + count > _buffer.Length) throw new ArgumentOutOfRangeException(nameof(count));
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Reserve(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length) return;
        var grown = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(initialSize, _buffer.Length * 2)));
        _buffer.AsSpan(0, _written).CopyTo(grown);
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _written = 0;
    }
}
