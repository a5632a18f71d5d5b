namespace Tunnel.Cluster.Spool;

/// <summary>
/// A message's bytes as the spool stores them: our Received header, then the content as the
/// client sent it. Two pieces, so that a large content is never copied just to put a header in
/// front of it (the spool writes the pieces one after the other into the stored body).
/// </summary>
public readonly record struct MessageBody(ReadOnlyMemory<byte> Header, ReadOnlyMemory<byte> Content)
{
    public static MessageBody Of(ReadOnlyMemory<byte> bytes) => new(ReadOnlyMemory<byte>.Empty, bytes);

    public int Length => Header.Length + Content.Length;

    /// <summary>The body as one array: the content itself when there is no header and it fills its array exactly.</summary>
    public byte[] ToArray()
    {
        if (Header.IsEmpty && System.Runtime.InteropServices.MemoryMarshal.TryGetArray(Content, out var segment)
                           && segment.Offset == 0 && segment.Count == segment.Array!.Length)
            return segment.Array;
        var bytes = new byte[Length];
        Header.CopyTo(bytes);
        Content.CopyTo(bytes.AsMemory(Header.Length));
        return bytes;
    }
}
