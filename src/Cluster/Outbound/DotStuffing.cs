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
        var lineStart = true;
        var runStart = 0;
        for (var i = 0; i < message.Length; i++)
        {
            var b = message.Span[i];
            if (lineStart && b == '.')
            {
                if (i > runStart) yield return message[runStart..i];
                yield return Dot;
                runStart = i;
            }
            lineStart = b == '\n';
        }
        if (message.Length > runStart) yield return message[runStart..];
        // A message that does not end in CRLF gets one, or the final "." would join its last line.
        var span = message.Span;
        var endsWithCrLf = span.Length >= 2 && span[^2] == '\r' && span[^1] == '\n';
        if (!endsWithCrLf && message.Length > 0) yield return CrLf;
    }

    public static void Write(ReadOnlyMemory<byte> message, IBufferWriter<byte> output)
    {
        foreach (var piece in Pieces(message)) output.Write(piece.Span);
    }
}
