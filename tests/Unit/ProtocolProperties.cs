using System.Buffers;
using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tunnel.Cluster.Ingress;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Cluster.Outbound;

namespace Tunnel.Tests.Unit;

/// <summary>Input biased towards what breaks SMTP readers: CR, LF, dots, NUL, commands and terminators.</summary>
public sealed record SmtpBytes(byte[] Value)
{
    public override string ToString() => Convert.ToHexString(Value);
}

/// <summary>A message as our spool holds it: lines of any octets but CR and LF, each ending in CRLF.</summary>
public sealed record CleanMessage(byte[] Value)
{
    public override string ToString() => Convert.ToHexString(Value);
}

public static class SmtpArbitraries
{
    private static readonly byte[][] Tokens =
    [
        "\r"u8.ToArray(), "\n"u8.ToArray(), "\r\n"u8.ToArray(), "."u8.ToArray(), "\r\n.\r\n"u8.ToArray(), "\r\n.."u8.ToArray(),
        "\n.\n"u8.ToArray(), "\r.\r"u8.ToArray(), [0], [0xC3], [0xFF], " "u8.ToArray(), "a"u8.ToArray(), "Received: x\r\n"u8.ToArray(),
        "MAIL FROM:<a@b.example>\r\n"u8.ToArray(), "RCPT TO:<u@ours.example>\r\n"u8.ToArray(), "DATA\r\n"u8.ToArray(),
        "BDAT 3\r\n"u8.ToArray(), "BDAT 0 LAST\r\n"u8.ToArray(), "EHLO c.example\r\n"u8.ToArray(), "RSET\r\n"u8.ToArray(),
        "STARTTLS\r\n"u8.ToArray(), "QUIT\r\n"u8.ToArray(), "RCPT TO:<x@tunneled.example>\r\n"u8.ToArray(),
    ];

    public static Arbitrary<SmtpBytes> SmtpBytes() =>
        Gen.Frequency(
                (3, Gen.Elements(Tokens)),
                (1, ArbMap.Default.GeneratorFor<byte>().Select(b => new[] { b })))
            .ListOf()
            .Select(parts => new SmtpBytes(parts.SelectMany(p => p).ToArray()))
            .ToArbitrary();

    public static Arbitrary<CleanMessage> CleanMessage() =>
        Gen.Frequency(
                (4, ArbMap.Default.GeneratorFor<byte>().Where(b => b is not (byte)'\r' and not (byte)'\n' and not 0)),
                (1, Gen.Constant((byte)'.')))
            .ArrayOf()
            .ListOf()
            .Select(lines => new CleanMessage(lines.SelectMany(l => l.Concat("\r\n"u8.ToArray())).ToArray()))
            .ToArbitrary();
}

/// <summary>
/// Properties of the pure protocol code over generated input (FsCheck): no byte sequence crashes
/// the readers or the conversation, none makes the DATA reader end anywhere but at the first
/// CRLF "." CRLF, none yields more than one message per DATA, and dot-stuffing round-trips.
/// </summary>
[Properties(Arbitrary = [typeof(SmtpArbitraries)], MaxTest = 300)]
public sealed class ProtocolProperties
{
    [Property]
    public bool The_DATA_reader_ends_exactly_at_the_first_terminator(SmtpBytes input)
    {
        var bytes = input.Value;
        var reader = new DataReader(new ArrayBufferWriter<byte>(), 1 << 20);
        var consumed = reader.Feed(bytes);
        // The data begins at a line start, as if CRLF came just before it.
        var first = IndexOf([(byte)'\r', (byte)'\n', .. bytes], "\r\n.\r\n"u8);
        return first < 0
            ? !reader.Complete && consumed == bytes.Length
            : reader.Complete && consumed == first + 3;
    }

    [Property]
    public bool The_DATA_reader_does_not_care_how_the_input_is_split(SmtpBytes input, int seed)
    {
        var whole = Read(input.Value, [input.Value.Length]);
        var random = new Random(seed);
        var pieces = new List<int>();
        for (var left = input.Value.Length; left > 0;)
        {
            var n = Math.Min(left, random.Next(1, 8));
            pieces.Add(n);
            left -= n;
        }
        return whole == Read(input.Value, pieces);
    }

    [Property]
    public bool Stuffing_then_reading_gives_the_message_back(CleanMessage message)
    {
        var stuffed = new ArrayBufferWriter<byte>();
        DotStuffing.Write(message.Value, stuffed);
        var wire = stuffed.WrittenSpan.ToArray().Concat(".\r\n"u8.ToArray()).ToArray();
        var output = new ArrayBufferWriter<byte>();
        var reader = new DataReader(output, 1 << 20);

        var consumed = reader.Feed(wire);

        return reader.Complete && consumed == wire.Length && !reader.BareNewline && !reader.Nul
               && output.WrittenSpan.SequenceEqual(message.Value);
    }

    [Property]
    public bool A_BDAT_message_of_clean_lines_is_taken_whole_and_split_anywhere(CleanMessage message, int seed)
    {
        var output = new ArrayBufferWriter<byte>();
        var reader = new ChunkReader(output, 1 << 20);
        var random = new Random(seed);
        for (var at = 0; at < message.Value.Length;)
        {
            var n = Math.Min(message.Value.Length - at, random.Next(1, 6));
            reader.Feed(message.Value.AsSpan(at, n));
            at += n;
        }
        reader.Finish();
        return !reader.BareNewline && !reader.Nul && output.WrittenSpan.SequenceEqual(message.Value);
    }

    [Property]
    public void The_command_parser_never_throws_and_refuses_with_5xx(SmtpBytes input)
    {
        var command = SmtpCommandParser.Parse(Encoding.UTF8.GetString(input.Value));
        if (command is InvalidCommand invalid && invalid.Reply.Code is < 500 or > 599) throw new Exception($"refused with {invalid.Reply}");
    }

    /// <summary>
    /// One DATA, whatever its content: at most one message comes out, and none when the content
    /// holds a bare CR or LF (the smuggling rule), however the bytes are split.
    /// </summary>
    [Property]
    public bool One_DATA_yields_at_most_one_message(SmtpBytes content)
    {
        var body = content.Value;
        var end = IndexOf([(byte)'\r', (byte)'\n', .. body], "\r\n.\r\n"u8);
        if (end >= 0) body = body[..Math.Max(0, end - 2)]; // keep only what precedes a real terminator
        var input = "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@ours.example>\r\nDATA\r\n"u8.ToArray()
            .Concat(body).Concat("\r\n.\r\n"u8.ToArray()).ToArray();

        var (messages, _) = Converse(input);

        var bare = HasBareNewline(body);
        return messages <= 1 && (!bare || messages == 0);
    }

    [Property]
    public void No_byte_sequence_crashes_the_conversation(SmtpBytes input) => Converse(input.Value);

    private static (int Messages, bool Closed) Converse(byte[] input)
    {
        var relay = new RelayPolicy(new RelaySettings(new HashSet<string> { "ours.example" }, VerifyMx: true));
        var conversation = new SmtpConversation("t.example", SessionLimits.Defaults with { MaxErrors = 1000 }, relay, IPAddress.Loopback, tlsOffered: true);
        conversation.Greet();
        var messages = 0;
        var offset = 0;
        while (true)
        {
            var need = conversation.Process(input.AsSpan(offset), out var consumed);
            offset += consumed;
            conversation.TakeReplies();
            switch (need)
            {
                case ConversationNeed.Commit:
                    messages++;
                    conversation.Committed(SmtpReplies.Queued("X"));
                    break;
                case ConversationNeed.VerifyDomain:
                    conversation.DomainVerified(TunnelDomainVerdict.Tunneled);
                    break;
                case ConversationNeed.StartTls:
                    offset = input.Length; // what came after STARTTLS is dropped
                    conversation.TlsStarted();
                    break;
                case ConversationNeed.Close:
                    return (messages, true);
                default:
                    return (messages, false);
            }
        }
    }

    private static string Read(byte[] input, IEnumerable<int> pieces)
    {
        var output = new ArrayBufferWriter<byte>();
        var reader = new DataReader(output, 1 << 20);
        var at = 0;
        foreach (var n in pieces)
        {
            if (reader.Complete) break;
            at += reader.Feed(input.AsSpan(at, n));
        }
        return $"{reader.Complete}/{at}/{reader.BareNewline}/{reader.Nul}/{reader.LineTooLong}/{Convert.ToHexString(output.WrittenSpan)}";
    }

    private static bool HasBareNewline(byte[] body)
    {
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) return true;
            if (body[i] == '\r' && (i + 1 >= body.Length || body[i + 1] != '\n')) return true;
        }
        return false;
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);
}
