using System.Buffers;

namespace Tunnel.Cluster.Ingress;

/// <summary>
/// Bytes received from the client and not yet used by the conversation. The array comes from the
/// shared pool and goes back as soon as everything is consumed, so an idle session holds none
/// (10,000 idle sessions must not hold 10,000 buffers).
/// </summary>
public sealed class InputBuffer(int minimumSize)
{
    private byte[] _bytes = [];
    private int _start;
    private int _end;

    public ReadOnlySpan<byte> Unread => _bytes.AsSpan(_start, _end - _start);
    public bool IsEmpty => _start == _end;

    /// <summary>Bytes of pooled memory held now (0 when empty).</summary>
    public int Capacity => _bytes.Length;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        if (_end + bytes.Length > _bytes.Length)
        {
            var live = _end - _start;
            var target = live + bytes.Length > _bytes.Length
                ? ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(minimumSize, _bytes.Length * 2), live + bytes.Length))
                : _bytes;
            Array.Copy(_bytes, _start, target, 0, live);
            if (!ReferenceEquals(target, _bytes)) ReturnArray();
            _bytes = target;
            _start = 0;
            _end = live;
        }
        bytes.CopyTo(_bytes.AsSpan(_end));
        _end += bytes.Length;
    }

    public void Consume(int count)
    {
        if (count < 0 || count > _end - _start) throw new ArgumentOutOfRangeException(nameof(count));
        _start += count;
        if (_start == _end) Clear();
    }

    /// <summary>Forgets everything unread (after STARTTLS: RFC 3207 §4.2, no command injection) and gives the memory back.</summary>
    public void Clear()
    {
        _start = _end = 0;
        ReturnArray();
        _bytes = [];
    }

    private void ReturnArray()
    {
        if (_bytes.Length > 0) ArrayPool<byte>.Shared.Return(_bytes);
    }
}
