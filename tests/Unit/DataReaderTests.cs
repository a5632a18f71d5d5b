using System.Buffers;
using System.Text;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Cluster.Outbound;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The DATA phase (RFC 5321 §4.1.1.4, §4.5.2): the end is CRLF "." CRLF and nothing else, dots
/// are unstuffed exactly, and every smuggling variant is content that marks the message as
/// having a bare newline. Each scenario is also fed split at every byte boundary.
/// </summary>
public sealed class DataReaderTests
{
    private const long NoLimit = 1 << 20;

    /// <summary>One DATA stream and what reading it must give.</summary>
    /// <param name="Input">The bytes the reader must consume (up to and including the terminator when <paramref name="Ends"/>).</param>
    /// <param name="After">Bytes that follow the terminator and must be left unconsumed.</param>
    public sealed record Scenario(string Input, string Output, bool Ends = true, string After = "",
        bool BareNewline = false, bool LineTooLong = false)
    {
        public byte[] Bytes => Encoding.Latin1.GetBytes(Input + After);
    }

    public static readonly Dictionary<string, Scenario> Scenarios = new()
    {
        ["empty message"] = new(".\r\n", ""),
        ["one header and a body"] = new("Subject: hi\r\n\r\nbody\r\n.\r\n", "Subject: hi\r\n\r\nbody\r\n"),
        ["stuffed dot is removed"] = new("..leading dot\r\n.\r\n", ".leading dot\r\n"),
        ["stuffed lone dot"] = new("a\r\n..\r\n.\r\n", "a\r\n.\r\n"),
        ["only the first of three dots is removed"] = new("...\r\n.\r\n", "..\r\n"),
        // RFC 5321 §4.5.2: a first period on a line with other characters is deleted even when
        // the client forgot to double it.
        ["unstuffed leading dot from a sloppy client"] = new(".x\r\n.\r\n", "x\r\n"),
        ["dot inside a line is content"] = new("a.b\r\n.\r\n", "a.b\r\n"),
        ["dot before CRLF mid-line is content, not an end"] = new("abc.\r\nnext\r\n.\r\n", "abc.\r\nnext\r\n"),
        ["empty lines"] = new("\r\n\r\n.\r\n", "\r\n\r\n"),
        ["bytes after the terminator are not consumed"] = new("a\r\n.\r\n", "a\r\n", After: "MAIL FROM:<x@y.example>\r\n"),
        ["a second terminator is left for later"] = new("a\r\n.\r\n", "a\r\n", After: ".\r\n"),
        ["no terminator yet"] = new("a\r\nb\r\n", "a\r\nb\r\n", Ends: false),
        ["half a terminator"] = new("a\r\n.\r", "a\r\n", Ends: false),
        ["terminator without its CR LF"] = new("a\r\n.", "a\r\n", Ends: false),

        // Smuggling (SMTP smuggling, CVE-2023-51764/5/6): none of these ends the data; each is
        // content with a bare CR or LF, and the reader goes on to the real end.
        ["LF . LF"] = new("a\n.\nb\r\n.\r\n", "a\n.\nb\r\n", BareNewline: true),
        ["CR . CR"] = new("a\r.\rb\r\n.\r\n", "a\r.\rb\r\n", BareNewline: true),
        ["CRLF . CR then text"] = new("a\r\n.\rb\r\n.\r\n", "a\r\n\rb\r\n", BareNewline: true),
        ["CRLF . CR CR LF"] = new("a\r\n.\r\r\nb\r\n.\r\n", "a\r\n\r\r\nb\r\n", BareNewline: true),
        ["LF . CRLF after text"] = new("a\n.\r\nb\r\n.\r\n", "a\n.\r\nb\r\n", BareNewline: true),
        ["LF . CRLF at a line start"] = new("a\r\n\n.\r\nb\r\n.\r\n", "a\r\n\n.\r\nb\r\n", BareNewline: true),
        ["LF . CRLF as the first bytes"] = new("\n.\r\nb\r\n.\r\n", "\n.\r\nb\r\n", BareNewline: true),
        ["CRLF . LF"] = new("a\r\n.\nb\r\n.\r\n", "a\r\n\nb\r\n", BareNewline: true),
        ["CRLF . LF CRLF"] = new("a\r\n.\n\r\nb\r\n.\r\n", "a\r\n\n\r\nb\r\n", BareNewline: true),
        [". LF CRLF as the first bytes"] = new(".\n\r\nb\r\n.\r\n", "\n\r\nb\r\n", BareNewline: true),
        ["CR . CRLF"] = new("a\r.\r\nb\r\n.\r\n", "a\r.\r\nb\r\n", BareNewline: true),
        ["CRLF CR . CRLF"] = new("a\r\n\r.\r\nb\r\n.\r\n", "a\r\n\r.\r\nb\r\n", BareNewline: true),
        ["LF LF . CRLF"] = new("a\n\n.\r\nb\r\n.\r\n", "a\n\n.\r\nb\r\n", BareNewline: true),
        // A bare CR or LF before a real CRLF: the CRLF "." CRLF that follows is a real end.
        ["bare CR then a real end"] = new("a\r\r\n.\r\n", "a\r\r\n", BareNewline: true),
        ["bare LF then a real end"] = new("a\n\r\n.\r\n", "a\n\r\n", BareNewline: true),
        ["bare LF alone on a line"] = new("a\r\n\n\r\n.\r\n", "a\r\n\n\r\n", BareNewline: true),

        // RFC 5322 §2.1.1 / RFC 5321 §4.5.3.1.6: 998 octets plus CRLF, the duplicated dot not counted.
        ["998-octet line"] = new(Line(998) + ".\r\n", Line(998)),
        ["999-octet line"] = new(Line(999) + ".\r\n", Line(999), LineTooLong: true),
        ["998-octet line starting with a stuffed dot"] = new("." + DotLine(998) + ".\r\n", DotLine(998)),
        ["999-octet line starting with a stuffed dot"] = new("." + DotLine(999) + ".\r\n", DotLine(999), LineTooLong: true),
        ["long line in the middle, read to the end"] = new("a\r\n" + Line(1500) + "b\r\n.\r\n", "a\r\n" + Line(1500) + "b\r\n", LineTooLong: true),
        ["two 998-octet lines"] = new(Line(998) + Line(998) + ".\r\n", Line(998) + Line(998)),
    };

    public static TheoryData<string> ScenarioNames => new(Scenarios.Keys);

    private static string Line(int octets) => new string('x', octets) + "\r\n";
    private static string DotLine(int octets) => "." + new string('x', octets - 1) + "\r\n";

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void Reads_the_scenario_in_one_piece(string name)
    {
        var scenario = Scenarios[name];

        var result = ReadInPieces(scenario.Bytes, []);

        AssertScenario(scenario, result);
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void Reads_the_scenario_byte_by_byte(string name)
    {
        var scenario = Scenarios[name];

        var result = ReadInPieces(scenario.Bytes, Enumerable.Range(1, scenario.Bytes.Length).ToArray());

        AssertScenario(scenario, result);
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void Reads_the_scenario_split_at_every_boundary(string name)
    {
        var scenario = Scenarios[name];
        var bytes = scenario.Bytes;
        // Every single split, and for short scenarios every pair of splits.
        for (var first = 0; first <= bytes.Length; first++)
        {
            AssertScenario(scenario, ReadInPieces(bytes, [first]), $"split at {first}");
            if (bytes.Length > 64) continue;
            for (var second = first; second <= bytes.Length; second++)
                AssertScenario(scenario, ReadInPieces(bytes, [first, second]), $"split at {first} and {second}");
        }
    }

    [Fact]
    public void Feed_returns_the_whole_input_while_the_end_is_not_reached()
    {
        var reader = new DataReader(new ArrayBufferWriter<byte>(), NoLimit);

        Assert.Equal(5, reader.Feed("a\r\nb\r"u8));
        Assert.False(reader.Complete);
        Assert.Equal(1, reader.Feed("\n"u8));
        Assert.False(reader.Complete);
        Assert.Equal(3, reader.Feed(".\r\nQUIT\r\n"u8));
        Assert.True(reader.Complete);
    }

    [Fact]
    public void An_empty_message_has_no_content()
    {
        var output = new ArrayBufferWriter<byte>();
        var reader = new DataReader(output, NoLimit);

        Assert.Equal(3, reader.Feed(".\r\n"u8));

        Assert.True(reader.Complete);
        Assert.Equal(0, reader.Size);
        Assert.Equal(0, output.WrittenCount);
        Assert.False(reader.BareNewline || reader.LineTooLong || reader.TooBig);
    }

    [Theory]
    [InlineData(12, false)] // "0123456789\r\n" is exactly 12 octets
    [InlineData(13, false)]
    [InlineData(11, true)]
    [InlineData(0, true)]
    public void Size_limit_is_compared_with_the_unstuffed_content(long limit, bool tooBig)
    {
        var output = new ArrayBufferWriter<byte>();
        var reader = new DataReader(output, limit);

        reader.Feed("0123456789\r\n.\r\n"u8);

        Assert.True(reader.Complete);
        Assert.Equal(12, reader.Size);
        Assert.Equal(tooBig, reader.TooBig);
        Assert.Equal("0123456789\r\n"[..(int)Math.Min(12, limit)], Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Stuffed_dots_do_not_count_towards_the_size()
    {
        var reader = new DataReader(new ArrayBufferWriter<byte>(), 4);

        reader.Feed("..a\r\n.\r\n"u8); // content ".a\r\n": 4 octets

        Assert.True(reader.Complete);
        Assert.Equal(4, reader.Size);
        Assert.False(reader.TooBig);
    }

    [Fact]
    public void An_oversize_message_is_truncated_but_read_to_its_end()
    {
        var output = new ArrayBufferWriter<byte>();
        var reader = new DataReader(output, 10);
        var body = string.Concat(Enumerable.Repeat("line of text\r\n", 100));
        var input = Encoding.ASCII.GetBytes(body + ".\r\nQUIT\r\n");

        var consumed = 0;
        foreach (var chunk in input.Chunk(7))
        {
            if (reader.Complete) break;
            consumed += reader.Feed(chunk);
        }

        Assert.True(reader.Complete);
        Assert.True(reader.TooBig);
        Assert.Equal(body.Length + 3, consumed);
        Assert.Equal(body.Length, reader.Size);
        Assert.Equal(body[..10], Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void A_held_back_CR_that_turns_out_bare_is_kept_within_the_size_limit()
    {
        var output = new ArrayBufferWriter<byte>();
        var reader = new DataReader(output, 4);

        reader.Feed("a\r\n.\r"u8);
        reader.Feed("bcdef\r\n.\r\n"u8);

        Assert.True(reader.Complete);
        Assert.True(reader.TooBig);
        Assert.Equal("a\r\n\r", Encoding.ASCII.GetString(output.WrittenSpan));
        Assert.Equal("a\r\n\rbcdef\r\n".Length, reader.Size);
    }

    /// <summary>
    /// Messages built from random lines (many starting with "."), stuffed by the outbound writer
    /// and terminated: reading them back gives the original exactly, however the bytes arrive.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(42)]
    [InlineData(2024)]
    public void Stuffing_then_reading_gives_back_the_original(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 300; round++)
        {
            var original = RandomMessage(random);
            var wire = new ArrayBufferWriter<byte>();
            DotStuffing.Write(original, wire);
            wire.Write(".\r\n"u8);
            var bytes = wire.WrittenSpan.ToArray();

            var result = ReadInPieces(bytes, RandomSplits(random, bytes.Length));

            Assert.True(result.Complete, $"seed {seed} round {round}: no end of data");
            Assert.Equal(bytes.Length, result.Consumed);
            Assert.Equal(original, result.Output);
            Assert.False(result.BareNewline);
            Assert.False(result.LineTooLong);
            Assert.False(result.TooBig);
        }
    }

    /// <summary>
    /// Random bytes, heavy in CR, LF and dots: the reader never throws, stops exactly at the first
    /// CRLF "." CRLF (counting the line start DATA begins with), and agrees with a plain
    /// non-incremental model on content and flags, whatever the chunking.
    /// </summary>
    [Theory]
    [InlineData(7)]
    [InlineData(11)]
    [InlineData(1234)]
    [InlineData(99991)]
    public void Random_bytes_agree_with_the_reference_model(int seed)
    {
        var random = new Random(seed);
        byte[] alphabet = [(byte)'\r', (byte)'\n', (byte)'.', (byte)'a', (byte)'\r', (byte)'\n', (byte)'.', (byte)'b', 0, 0xFF];
        for (var round = 0; round < 3000; round++)
        {
            var bytes = new byte[random.Next(0, 40)];
            for (var i = 0; i < bytes.Length; i++) bytes[i] = alphabet[random.Next(alphabet.Length)];
            var limit = random.Next(0, 30);
            var expected = Model(bytes, limit);

            var result = ReadInPieces(bytes, RandomSplits(random, bytes.Length), limit);

            var what = $"seed {seed} round {round}: {Escape(bytes)}";
            Assert.True(expected.Complete == result.Complete, $"{what}: complete {result.Complete}");
            Assert.True(expected.Consumed == result.Consumed, $"{what}: consumed {result.Consumed}, expected {expected.Consumed}");
            if (!expected.Complete) continue;
            Assert.True(expected.Output.AsSpan().SequenceEqual(result.Output), $"{what}: output {Escape(result.Output)}");
            Assert.True(expected.BareNewline == result.BareNewline, $"{what}: bare newline {result.BareNewline}");
            Assert.True(expected.Size == result.Size, $"{what}: size {result.Size}");
            Assert.True(expected.TooBig == result.TooBig, $"{what}: too big {result.TooBig}");
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    public void Random_long_lines_are_flagged_exactly_past_998_octets(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 200; round++)
        {
            var length = random.Next(990, 1006);
            var stuffed = random.Next(2) == 0;
            var line = (stuffed ? "." : "") + new string('y', length - (stuffed ? 1 : 0));
            var input = Encoding.ASCII.GetBytes((stuffed ? "." : "") + line + "\r\n.\r\n");

            var result = ReadInPieces(input, RandomSplits(random, input.Length));

            Assert.True(result.Complete);
            Assert.True(length > 998 == result.LineTooLong, $"line of {length} octets, stuffed: {stuffed}");
        }
    }

    // ---- harness ----

    private sealed record Result(bool Complete, int Consumed, byte[] Output, bool BareNewline, bool LineTooLong, bool TooBig, long Size);

    /// <summary>Feeds <paramref name="bytes"/> cut at <paramref name="splits"/>, as the session does, stopping at the end of data.</summary>
    private static Result ReadInPieces(byte[] bytes, int[] splits, long limit = NoLimit)
    {
        var output = new ArrayBufferWriter<byte>();
        var reader = new DataReader(output, limit);
        var consumed = 0;
        var start = 0;
        foreach (var end in splits.Append(bytes.Length))
        {
            if (end < start) continue;
            var used = reader.Feed(bytes.AsSpan(start, end - start));
            consumed += used;
            if (reader.Complete)
            {
                Assert.True(used <= end - start);
                break;
            }
            Assert.Equal(end - start, used);
            start = end;
        }
        return new(reader.Complete, consumed, output.WrittenSpan.ToArray(), reader.BareNewline, reader.LineTooLong, reader.TooBig, reader.Size);
    }

    /// <summary>The rules written the slow, obvious way: find the terminator first, then unstuff line by line.</summary>
    private static Result Model(byte[] bytes, long limit)
    {
        var prefixed = new byte[] { (byte)'\r', (byte)'\n' }.Concat(bytes).ToArray();
        var at = prefixed.AsSpan().IndexOf("\r\n.\r\n"u8);
        if (at < 0) return new(false, bytes.Length, [], false, false, false, 0);
        var content = bytes[..at]; // up to the dot of the terminator, its CRLF included
        var bare = false;
        for (var i = 0; i < content.Length; i++)
        {
            if (content[i] == '\r' && (i + 1 == content.Length || content[i + 1] != '\n')) bare = true;
            if (content[i] == '\n' && (i == 0 || content[i - 1] != '\r')) bare = true;
        }
        var unstuffed = new List<byte>();
        var lineStart = true;
        for (var i = 0; i < content.Length; i++)
        {
            if (!(lineStart && content[i] == '.')) unstuffed.Add(content[i]);
            lineStart = content[i] == '\n' && i > 0 && content[i - 1] == '\r';
        }
        var size = unstuffed.Count;
        return new(true, at + 3, unstuffed.Take((int)Math.Min(size, limit)).ToArray(), bare, false, size > limit, size);
    }

    private static byte[] RandomMessage(Random random)
    {
        var text = new StringBuilder();
        var lines = random.Next(0, 12);
        string[] starts = ["", ".", "..", ". ", ".\t"];
        for (var i = 0; i < lines; i++)
        {
            text.Append(starts[random.Next(starts.Length)]);
            var length = random.Next(0, 30);
            for (var j = 0; j < length; j++) text.Append("ab.c :x"[random.Next(7)]);
            text.Append("\r\n");
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static int[] RandomSplits(Random random, int length)
    {
        var splits = new int[random.Next(0, 6)];
        for (var i = 0; i < splits.Length; i++) splits[i] = random.Next(0, length + 1);
        Array.Sort(splits);
        return splits;
    }

    private static void AssertScenario(Scenario expected, Result actual, string how = "in one piece")
    {
        Assert.True(expected.Ends == actual.Complete, $"{how}: complete {actual.Complete}");
        Assert.True(Encoding.Latin1.GetByteCount(expected.Input) == actual.Consumed, $"{how}: consumed {actual.Consumed}");
        Assert.True(expected.Output == Encoding.Latin1.GetString(actual.Output), $"{how}: output {Escape(actual.Output)}");
        Assert.True(expected.BareNewline == actual.BareNewline, $"{how}: bare newline {actual.BareNewline}");
        Assert.True(expected.LineTooLong == actual.LineTooLong, $"{how}: line too long {actual.LineTooLong}");
        Assert.False(actual.TooBig, how);
    }

    private static string Escape(byte[] bytes) =>
        string.Concat(bytes.Select(b => b switch { (byte)'\r' => "\\r", (byte)'\n' => "\\n", >= 32 and < 127 => ((char)b).ToString(), _ => $"\\x{b:X2}" }));
}
