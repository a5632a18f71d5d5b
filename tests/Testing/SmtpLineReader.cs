namespace Tunnel.Tests.Testing;

/// <summary>
/// Splits what a <see cref="SinkMx"/> client sends into CRLF-terminated lines, keeping the bytes exact.
/// Only CRLF ends a line (RFC 5321 2.3.8): a bare LF stays inside the line, as does a bare CR.
/// </summary>
internal sealed class SmtpLineReader(Stream stream, int maxLineLength)
{
    private Stream _stream = stream;

    private byte[] _buffer = new byte[Math.Min(8 * 1024, maxLineLength + 2)];
    private int _start;
    private int _end;

    /// <summary>
    /// The next line including its CRLF, or null once the client has closed its side.
    /// Throws <see cref="InvalidDataException"/> for a line longer than the limit, so a runaway client
    /// cannot make the sink buffer without bound.
    /// </summary>
    public async ValueTask<byte[]?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var crlf = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8);
            if (crlf >= 0)
            {
                var line = _buffer.AsSpan(_start, crlf + 2).ToArray();
                _start += crlf + 2;
                return line;
            }

            if (_end - _start >= maxLineLength)
                throw new InvalidDataException($"Line longer than {maxLineLength} bytes.");

            MakeRoom();
            var received = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (received == 0)
                return null;
            _end += received;
        }
    }

    /// <summary>
    /// Reads from <paramref name="next"/> from now on (TLS after STARTTLS). Whatever the client sent
    /// in the clear after the command is dropped, as RFC 3207 §4.2 (and CVE-2011-0411) require.
    /// </summary>
    public void SwitchTo(Stream next)
    {
        _stream = next;
        _start = _end = 0;
    }

    private void MakeRoom()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, maxLineLength + 2));
    }
}
