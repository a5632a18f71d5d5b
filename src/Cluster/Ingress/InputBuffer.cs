namespace Tunnel.Cluster.Ingress;

/// <summary>Bytes received from the client and not yet used by the conversation.</summary>
public sealed class InputBuffer(int initialSize)
{
    private byte[] _bytes = new byte[initialSize];
    private int _start;
    private int _end;

    public ReadOnlySpan<byte> Unread => _bytes.AsSpan(_start, _end - _start);
    public bool IsEmpty => _start == _end;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_start == _end) _start = _end = 0;
        if (_end + bytes.Length > _bytes.Length)
        {
            var live = _end - _start;
            var target = live + bytes.Length > _bytes.Length ? new byte[Math.Max(_bytes.Length * 2, live + bytes.Length)] : _bytes;
            Array.Copy(_bytes, _start, target, 0, live);
            _bytes = target;
            _start = 0;
            _end = live;
        }
        bytes.CopyTo(_bytes.AsSpan(_end));
        _end += bytes.Length;
    }

    public void Consume(int count) => _start += count;

    /// <summary>Forgets everything unread (after STARTTLS: RFC 3207 §4.2, no command injection).</summary>
    public void Clear() => _start = _end = 0;
}
