namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>
/// Frames command lines. Only CRLF ends a line (RFC 5321 §2.3.8): a bare LF or CR makes the
/// line invalid instead of being read as a line end, so that we never see a command boundary
/// where the next hop would not. A line longer than the limit is skipped up to its CRLF and
/// reported once, there. A line holding a NUL is reported as such (RFC 5321 §4.1.2 has no
/// NUL in any command). Pure: bytes in, verdict out; the session owns the buffer.
/// </summary>
public sealed class CommandLineReader(int maxLineLength)
{
    public enum Status
    {
        /// <summary>No complete line yet; keep the bytes and read more.</summary>
        NeedMore,
        /// <summary>A line of <c>lineLength</c> bytes (CRLF excluded) was read.</summary>
        Line,
        /// <summary>The line contained a bare CR or LF and was dropped.</summary>
        BareNewline,
        /// <summary>The line exceeded the limit; it was dropped (its remainder is skipped too).</summary>
        TooLong,
        /// <summary>The line (ended by CRLF, within the limit) contained a NUL octet and was dropped.</summary>
        Nul,
    }

    private bool _skippingLongLine;

    /// <param name="consumed">Bytes of <paramref name="input"/> used up, whatever the status.</param>
    public Status Read(ReadOnlySpan<byte> input, out int lineLength, out int consumed)
    {
        lineLength = 0;
        consumed = 0;
        var limit = maxLineLength; // octets before CRLF (RFC 5321 §4.5.3.1.4 counts CRLF in 512)
        var nul = false;
        for (var i = 0; i < input.Length; i++)
        {
            var b = input[i];
            if (b == '\n')
            {
                consumed = i + 1;
                if (_skippingLongLine) { _skippingLongLine = false; return Status.TooLong; }
                if (i == 0 || input[i - 1] != '\r') return Status.BareNewline;
                lineLength = i - 1;
                return lineLength > limit ? Status.TooLong : nul ? Status.Nul : Status.Line;
            }
            if (b == '\r' && i + 1 < input.Length && input[i + 1] != '\n')
            {
                consumed = i + 1;
                if (_skippingLongLine) continue;
                return Status.BareNewline;
            }
            if (b == 0) nul = true;
            if (!_skippingLongLine && i > limit + 1)
            {
                // Far past the limit without CRLF: skip the rest of the line, so a client cannot
                // make us buffer an endless line. It is reported at its end, once: "every command
                // MUST generate exactly one reply" (RFC 5321 §4.2), or a pipelining client
                // would take the second report as the answer to its next command.
                _skippingLongLine = true;
            }
        }
        if (_skippingLongLine) consumed = input.Length;
        return Status.NeedMore;
    }
}
