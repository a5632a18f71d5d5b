using System.Buffers;

namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>
/// Reads the DATA phase (RFC 5321 §4.1.1.4, §4.5.2) incrementally: removes dot-stuffing, stops
/// at CRLF "." CRLF and nothing else, and copies the message bytes to a writer up to a size
/// limit. Bare CR or LF, lines over 998 octets (RFC 5322 §2.1.1) and oversize messages are
/// remembered and the reader keeps consuming up to the real end, so the session can refuse the
/// message and stay in step with the client. NUL is remembered too: 8BITMIME data has none
/// (RFC 6152 §3), and we offer no BINARYMIME. Pure: no I/O, no clock.
/// </summary>
public sealed class DataReader : IMessageContent
{
    private const int MaxLineOctets = 998;

    private enum State { LineStart, Dot, DotCr, InLine, Cr }

    private readonly IBufferWriter<byte> _output;
    private readonly long _maxSize;
    private State _state = State.LineStart;
    private int _lineOctets;

    public DataReader(IBufferWriter<byte> output, long maxSize)
    {
        _output = output;
        _maxSize = maxSize;
    }

    /// <summary>Octets of message content seen (after unstuffing), including any beyond the limit.</summary>
    public long Size { get; private set; }
    public bool TooBig => Size > _maxSize;
    public bool BareNewline { get; private set; }
    public bool LineTooLong { get; private set; }
    public bool Nul { get; private set; }
    public bool Complete { get; private set; }

    /// <summary>Consumes input up to and including the end-of-data line; returns the bytes used.</summary>
    public int Feed(ReadOnlySpan<byte> input)
    {
        var runStart = 0; // start of a run of content bytes still to copy
        for (var i = 0; i < input.Length; i++)
        {
            var b = input[i];
            switch (_state)
            {
                case State.LineStart:
                    _lineOctets = 0;
                    if (b == '.')
                    {
                        Copy(input[runStart..i]);
                        runStart = i + 1; // drop the stuffed (or terminating) dot
                        _state = State.Dot;
                        // Not counted: RFC 5321 §4.5.3.1.6 limits a text line "not counting the
                        // leading dot duplicated for transparency".
                        continue;
                    }
                    goto case State.InLine;
                case State.Dot:
                    if (b == '\r') { _state = State.DotCr; continue; }
                    goto case State.InLine;
                case State.DotCr:
                    if (b == '\n')
                    {
                        Complete = true;
                        return i + 1;
                    }
                    // ".\r" followed by something else: the CR was bare.
                    BareNewline = true;
                    Copy("\r"u8);
                    _lineOctets++; // the held-back CR is part of the line
                    runStart = i;
                    goto case State.InLine;
                case State.InLine:
                    // A bare LF does not end the line (RFC 5321 §2.3.8): what follows is still
                    // inside it, so "LF . CRLF" and "CRLF . LF CRLF" are content, never an end.
                    if (b == '\n') BareNewline = true;
                    if (b == 0) Nul = true;
                    _state = b == '\r' ? State.Cr : State.InLine;
                    if (++_lineOctets > MaxLineOctets + 1) LineTooLong = true;
                    break;
                case State.Cr:
                    if (b == '\n') { _state = State.LineStart; _lineOctets = 0; }
                    else
                    {
                        BareNewline = true;
                        if (b == 0) Nul = true;
                        _state = State.InLine;
                        if (b == '\r') _state = State.Cr;
                        if (++_lineOctets > MaxLineOctets + 1) LineTooLong = true;
                    }
                    break;
            }
        }
        // After "CRLF ." a CR may begin the terminator: hold it back until the next byte says.
        // The run is exactly that CR then, because DotCr is entered on the byte after the dot.
        if (_state != State.DotCr) Copy(input[runStart..]);
        return input.Length;
    }

    private void Copy(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        var before = Size;
        Size += bytes.Length;
        if (before >= _maxSize) return;
        var keep = (int)Math.Min(bytes.Length, _maxSize - before);
        bytes[..keep].CopyTo(_output.GetSpan(keep));
        _output.Advance(keep);
    }
}
