using System.Buffers;

namespace Tunnel.Cluster.Outbound;

/// <summary>
/// Writes a stored message as DATA content (RFC 5321 §4.5.2): a "." is added before every line
/// that starts with ".", and the content ends with CRLF so that the caller's final "." line
/// terminates it. The spool holds exactly what the client sent, unstuffed, lines ending in
/// CRLF, so stuffing here reverses ingress exactly. Pure.
/// </summary>
public static class DotStuffing
{
    private static readonly ReadOnlyMemory<byte> Dot = "."u8.ToArray();
    private static readonly ReadOnlyMemory<byte> CrLf = "\r\n"u8.ToArray();

    /// <summary>
    /// The stuffed content as pieces to write in order: runs of the message itself (no copy of
    /// the body, which may be megabytes) with a "." piece before each line that starts with ".".
    /// </summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Pieces(ReadOnlyMemory<byte> message)
    {
        var runStart = 0;
        for (var at = NextDotLine(message.Span, 0); at >= 0; at = NextDotLine(message.Span, at + 1))
        {
            if (at > runStart) yield return message[runStart..at];
            yield return Dot;
            runStart = at; // the line's own "." starts the next run
        }
        if (message.Length > runStart) yield return message[runStart..];
        // A message that does not end in CRLF gets one, or the final "." would join its last line.
        if (message.Length > 0 && !message.Span.EndsWith("\r\n"u8)) yield return CrLf;
    }

    /// <summary>Where the next line that starts with "." begins, at or after <paramref name="from"/>; -1 if nowhere.</summary>
    private static int NextDotLine(ReadOnlySpan<byte> message, int from)
    {
        while (from < message.Length)
        {
            var dot = message[from..].IndexOf((byte)'.');
            if (dot < 0) return -1;
            var at = from + dot;
            // A line starts at the beginning and after every LF (a bare LF too, see the tests).
            if (at == 0 || message[at - 1] == '\n') return at;
            from = at + 1;
        }
        return -1;
    }

    public static void Write(ReadOnlyMemory<byte> message, IBufferWriter<byte> output)
    {
        foreach (var piece in Pieces(message)) output.Write(piece.Span);
    }
}
