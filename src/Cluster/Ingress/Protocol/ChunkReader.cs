using System.Buffers;

namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>
/// Takes in the chunks of one BDAT message (RFC 3030): no dot-stuffing and no terminator, the
/// sizes frame the data. The content is still checked as text, because we forward it with DATA
/// to a next hop that reads lines (our outbound dot-stuffs it): a bare CR or LF, which DATA could
/// not carry unambiguously (SMTP smuggling), a line over 998 octets (RFC 5322 §2.1.1) or a NUL
/// (we offer no BINARYMIME) makes the message refused, the same as with DATA. The state carries
/// over chunk boundaries, so a CRLF split between two chunks is one line end. Pure.
/// </summary>
public sealed class ChunkReader(IBufferWriter<byte> output, long maxSize) : IMessageContent
{
    private const int MaxLineOctets = 998;

    private bool _afterCr;
    private int _lineOctets;

    public long Size { get; private set; }
    public bool TooBig => Size > maxSize;
    public bool BareNewline { get; private set; }
    public bool LineTooLong { get; private set; }
    public bool Nul { get; private set; }

    /// <summary>Takes the next piece of a chunk (a chunk may arrive in several reads).</summary>
    public void Feed(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (_afterCr)
            {
                _afterCr = false;
                if (b == '\n') { _lineOctets = 0; continue; }
                BareNewline = true; // the CR before this byte was bare
            }
            if (b == '\r') _afterCr = true;
            else if (b == '\n') BareNewline = true;
            else if (b == 0) Nul = true;
            if (++_lineOctets > MaxLineOctets + 1) LineTooLong = true;
        }
        Copy(bytes);
    }

    /// <summary>After BDAT LAST: a CR at the very end had no LF after it.</summary>
    public void Finish()
    {
        if (_afterCr) BareNewline = true;
        _afterCr = false;
    }

    private void Copy(ReadOnlySpan<byte> bytes)
    {
        var before = Size;
        Size += bytes.Length;
        if (before >= maxSize || bytes.IsEmpty) return;
        var keep = (int)Math.Min(bytes.Length, maxSize - before);
        bytes[..keep].CopyTo(output.GetSpan(keep));
        output.Advance(keep);
    }
}
