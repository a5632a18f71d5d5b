using System.Buffers;
using System.Net;
using System.Text;
using Tunnel.Cluster.Ingress;
using Tunnel.Cluster.Ingress.Protocol;

namespace Tunnel.Fuzz;

/// <summary>
/// Fuzz targets: each takes any bytes and throws when the code under test crashes or breaks one
/// of its promises, which AFL then reports as a crash.
/// </summary>
public static class Targets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["command"] = Command,
        ["data"] = Data,
        ["conversation"] = Conversation,
    };

    /// <summary>Line framing then parsing, as the session does: every line a command or a 5xx refusal.</summary>
    private static void Command(byte[] input)
    {
        var reader = new CommandLineReader(CommandLineLimits.Longest(510));
        var at = 0;
        while (at < input.Length)
        {
            var status = reader.Read(input.AsSpan(at), out var length, out var consumed);
            if (consumed < 0 || at + consumed > input.Length) throw new InvalidOperationException($"consumed {consumed} at {at}");
            if (status == CommandLineReader.Status.NeedMore) break;
            if (consumed == 0) throw new InvalidOperationException("no progress");
            if (status == CommandLineReader.Status.Line)
            {
                var line = input.AsSpan(at, length);
                if (line.Contains((byte)'\r') || line.Contains((byte)'\n')) throw new InvalidOperationException("a line holds CR or LF");
                var command = SmtpCommandParser.Parse(Encoding.UTF8.GetString(line));
                if (command is InvalidCommand { Reply.Code: < 500 or > 599 } bad) throw new InvalidOperationException($"refusal {bad.Reply}");
                if (command is RcptCommand rcpt && AddressParser.NormaliseDomain(rcpt.Recipient.Domain) != rcpt.Recipient.Domain)
                    throw new InvalidOperationException($"domain not normalised: {rcpt.Recipient.Domain}");
            }
            at += consumed;
        }
    }

    /// <summary>DATA: ends exactly at the first CRLF.CRLF, whatever the split; BDAT: keeps every octet.</summary>
    private static void Data(byte[] input)
    {
        var split = input.Length == 0 ? 0 : input[0] % (input.Length + 1);
        var whole = Read(input, [input.Length]);
        var pieces = Read(input, [split, input.Length - split]);
        if (whole != pieces) throw new InvalidOperationException($"split at {split} changed the result: {whole} vs {pieces}");
        var first = ((ReadOnlySpan<byte>)[(byte)'\r', (byte)'\n', .. input]).IndexOf("\r\n.\r\n"u8);
        var expected = first < 0 ? $"False/{input.Length}" : $"True/{first + 3}";
        if (!whole.StartsWith(expected + "/")) throw new InvalidOperationException($"ended at {whole}, expected {expected}");

        var output = new ArrayBufferWriter<byte>();
        var chunks = new ChunkReader(output, 1 << 20);
        chunks.Feed(input.AsSpan(0, split));
        chunks.Feed(input.AsSpan(split));
        chunks.Finish();
        if (!output.WrittenSpan.SequenceEqual(input) || chunks.Size != input.Length) throw new InvalidOperationException("BDAT lost octets");
    }

    /// <summary>The whole protocol: no crash, and never more messages than DATA/BDAT LAST commands.</summary>
    private static void Conversation(byte[] input)
    {
        var relay = new RelayPolicy(new RelaySettings(new HashSet<string> { "ours.example" }, VerifyMx: true));
        var conversation = new SmtpConversation("fuzz.example", SessionLimits.Defaults with { MaxErrors = 1000, MaxMessageSize = 4096 },
            relay, IPAddress.Loopback, tlsOffered: true);
        conversation.Greet();
        var messages = 0;
        var at = 0;
        while (true)
        {
            var need = conversation.Process(input.AsSpan(at), out var consumed);
            at += consumed;
            conversation.TakeReplies();
            if (need == ConversationNeed.Commit)
            {
                messages++;
                conversation.Committed(SmtpReplies.Queued("FUZZ"));
            }
            else if (need == ConversationNeed.VerifyDomain) conversation.DomainVerified((TunnelDomainVerdict)(input.Length % 3));
            else if (need == ConversationNeed.StartTls) { at = input.Length; conversation.TlsStarted(); }
            else break;
        }
        // An upper bound of the commands that can end a message: "DATA" (the parser tolerates
        // trailing spaces after an argument-less verb) and "BDAT n LAST".
        var text = Encoding.Latin1.GetString(input).ToUpperInvariant();
        var starts = System.Text.RegularExpressions.Regex.Count(text, "DATA *\r\n") + Count(text, " LAST\r\n");
        if (messages > starts) throw new InvalidOperationException($"{messages} messages from {starts} DATA/BDAT LAST commands");
    }

    private static string Read(byte[] input, int[] pieces)
    {
        var output = new ArrayBufferWriter<byte>();
        var reader = new DataReader(output, 1 << 20);
        var at = 0;
        foreach (var n in pieces)
        {
            if (reader.Complete || n == 0) continue;
            var used = reader.Feed(input.AsSpan(at, n));
            if (used > n || (!reader.Complete && used != n)) throw new InvalidOperationException($"fed {n}, used {used}");
            at += used;
        }
        return $"{reader.Complete}/{at}/{reader.BareNewline}/{reader.Nul}/{reader.LineTooLong}/{Convert.ToHexString(output.WrittenSpan)}";
    }

    private static int Count(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal)) count++;
        return count;
    }
}
