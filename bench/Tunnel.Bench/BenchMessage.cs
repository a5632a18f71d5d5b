using System.Buffers.Text;
using System.Text;

namespace Tunnel.Bench;

/// <summary>
/// The messages a run sends: each has a sequence number in <c>X-Bench-Seq</c> (and in its
/// Message-ID) so the sink can tell lost and duplicated messages apart, and the run's id in
/// <c>X-Bench-Run</c> so mail left over from an earlier run against the same --target is not
/// counted. Headers are fixed-width, so every message is exactly <c>size</c> octets of content;
/// the body is shared, 78-character lines of which every eighth starts with a dot (dot-stuffed
/// on the wire, as RFC 5321 §4.5.2 asks). Message <c>seq</c> goes to one recipient in domain
/// <c>seq mod D</c> unless the scenario chooses the domain itself (domain names of one length, so
/// every message keeps the same size).
/// </summary>
public sealed class BenchMessage
{
    private const string SeqHeader = "X-Bench-Seq: ";
    private readonly byte[] _stuffedBody;
    private readonly string _run;
    private readonly byte[] _runMarker;
    private readonly byte[] _seqMarker = Encoding.ASCII.GetBytes(SeqHeader);
    private readonly Func<int, string> _domainOf;

    public BenchMessage(int size, int domains, string run) : this(size, run, seq => BenchRig.Domain(seq % domains)) => Domains = domains;

    /// <param name="domainOf">The recipient domain of message <c>seq</c>.</param>
    public BenchMessage(int size, string run, Func<int, string> domainOf)
    {
        Size = size;
        _domainOf = domainOf;
        _run = run;
        _runMarker = Encoding.ASCII.GetBytes($"X-Bench-Run: {run}\r\n");
        var headerLength = Header(0).Length;
        _stuffedBody = Stuff(Body(size - headerLength));
    }

    public int Size { get; }
    public int Domains { get; }

    public string Recipient(int seq) => $"user{seq:0000000000}@{DomainOf(seq)}";

    public string DomainOf(int seq) => _domainOf(seq);

    /// <summary>The envelope commands, pipelined (RFC 2920): MAIL, RCPT, DATA.</summary>
    public byte[] Envelope(int seq) =>
        Encoding.ASCII.GetBytes($"MAIL FROM:<bench@src.bench.test> SIZE={Size}\r\nRCPT TO:<{Recipient(seq)}>\r\nDATA\r\n");

    /// <summary>Content as sent after 354: headers, the dot-stuffed body, and the final ".".</summary>
    public byte[] Data(int seq)
    {
        var header = Header(seq);
        var data = new byte[header.Length + _stuffedBody.Length + 3];
        Encoding.ASCII.GetBytes(header, data);
        _stuffedBody.CopyTo(data, header.Length);
        ".\r\n"u8.CopyTo(data.AsSpan(data.Length - 3));
        return data;
    }

    /// <summary>The sequence number in a message as the sink received it, or null if it is not from this run.</summary>
    public int? SeqOf(ReadOnlySpan<byte> received)
    {
        received = received[..Math.Min(received.Length, 4096)]; // our Received: header and the message's headers
        if (received.IndexOf(_runMarker) < 0) return null;
        var at = received.IndexOf(_seqMarker);
        if (at < 0) return null;
        var digits = received[(at + _seqMarker.Length)..];
        return Utf8Parser.TryParse(digits, out int seq, out _) ? seq : null;
    }

    private string Header(int seq) =>
        $"From: Bench <bench@src.bench.test>\r\n" +
        $"To: <{Recipient(seq)}>\r\n" +
        $"Subject: bench message {seq:0000000000}\r\n" +
        $"Date: Sun, 29 Nov 2026 20:00:00 +0000\r\n" +
        $"Message-ID: <{seq:0000000000}.{_run}@src.bench.test>\r\n" +
        $"X-Bench-Run: {_run}\r\n" +
        $"{SeqHeader}{seq:0000000000}\r\n" +
        $"MIME-Version: 1.0\r\n" +
        $"Content-Type: text/plain; charset=us-ascii\r\n" +
        $"\r\n";

    /// <summary>Exactly <paramref name="length"/> octets of CRLF-terminated text lines of at most 79 characters.</summary>
    private static byte[] Body(int length)
    {
        var widths = new List<int>();
        for (var remaining = length; remaining > 0;)
        {
            var width = remaining >= 80 ? 78 : remaining - 2;
            if (width < 0) { widths[0] += remaining; break; } // one octet left: the first line takes it
            widths.Add(width);
            remaining -= width + 2;
        }
        var body = new StringBuilder(length);
        for (var line = 0; line < widths.Count; line++)
        {
            var text = (line % 8 == 7 ? "." : "") + $"line {line:00000} of the benchmark body, the quick brown fox jumps over the lazy dog";
            body.Append(text.PadRight(widths[line], '-')[..widths[line]]).Append("\r\n");
        }
        return Encoding.ASCII.GetBytes(body.ToString());
    }

    private static byte[] Stuff(byte[] content)
    {
        var stuffed = new List<byte>(content.Length + content.Length / 64);
        var lineStart = true;
        foreach (var b in content)
        {
            if (lineStart && b == '.') stuffed.Add((byte)'.');
            stuffed.Add(b);
            lineStart = b == '\n';
        }
        return stuffed.ToArray();
    }
}
