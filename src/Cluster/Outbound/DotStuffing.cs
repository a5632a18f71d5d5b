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
    public static void Write(ReadOnlySpan<byte> message, IBufferWriter<byte> output)
    {
        var lineStart = true;
        var runStart = 0;
        for (var i = 0; i < message.Length; i++)
        {
            if (lineStart && message[i] == '.')
            {
                output.Write(message[runStart..i]);
                output.Write("."u8);
                runStart = i;
            }
            lineStart = message[i] == '\n';
        }
        output.Write(message[runStart..]);
        // A message that does not end in CRLF gets one, or the final "." would join its last line.
        var endsWithCrLf = message.Length >= 2 && message[^2] == '\r' && message[^1] == '\n';
        if (!endsWithCrLf && message.Length > 0) output.Write("\r\n"u8);
    }
}
