using System.Text;
using Tunnel.Cluster.Ingress.Protocol;
using Xunit;
using Status = Tunnel.Cluster.Ingress.Protocol.CommandLineReader.Status;

namespace Tunnel.Tests.Unit;

/// <summary>
/// Command line framing (RFC 5321 §2.3.8, §4.5.3.1.4): only CRLF ends a line, a bare CR or LF
/// is reported, an over-long line is reported once and skipped to its CRLF. The harness keeps
/// unconsumed bytes and calls again, as the session does, so every scenario is also checked
/// with the input arriving in pieces.
/// </summary>
public sealed class CommandLineReaderTests
{
    private const int Limit = 20;

    /// <summary>What the session sees: each status, with the line's text when it is a line.</summary>
    public static readonly Dictionary<string, (string Input, string[] Expected, string Left)> Scenarios = new()
    {
        ["one command"] = ("NOOP\r\n", ["Line NOOP"], ""),
        ["pipelined commands"] = ("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", ["Line MAIL FROM:<a@b>", "Line RCPT TO:<c@d>", "Line DATA"], ""),
        ["empty line"] = ("\r\n", ["Line "], ""),
        ["partial line is kept"] = ("NOOP", [], "NOOP"),
        ["CR without its LF yet is kept"] = ("NOOP\r", [], "NOOP\r"),
        ["complete line then a partial one"] = ("NOOP\r\nQU", ["Line NOOP"], "QU"),
        ["bare LF"] = ("NOOP\n", ["BareNewline"], ""),
        ["NUL in a line"] = ("NO\0OP\r\nNOOP\r\n", ["Nul", "Line NOOP"], ""),
        ["bare LF alone"] = ("\n", ["BareNewline"], ""),
        ["bare LF then a command"] = ("NOOP\nQUIT\r\n", ["BareNewline", "Line QUIT"], ""),
        ["bare CR in a line"] = ("NO\rOP\r\n", ["BareNewline", "Line OP"], ""),
        ["CR CR LF"] = ("\r\r\n", ["BareNewline", "Line "], ""),
        ["LF CR LF"] = ("\n\r\n", ["BareNewline", "Line "], ""),
        ["line of exactly the limit"] = (new string('x', Limit) + "\r\n", ["Line " + new string('x', Limit)], ""),
        ["line one over the limit"] = (new string('x', Limit + 1) + "\r\nQUIT\r\n", ["TooLong", "Line QUIT"], ""),
        ["line two over the limit"] = (new string('x', Limit + 2) + "\r\nQUIT\r\n", ["TooLong", "Line QUIT"], ""),
        ["very long line is reported once"] = (new string('x', 10 * Limit) + "\r\nQUIT\r\n", ["TooLong", "Line QUIT"], ""),
        ["very long line with a bare CR inside"] = (new string('x', 3 * Limit) + "\r" + new string('y', 3 * Limit) + "\r\nQUIT\r\n", ["TooLong", "Line QUIT"], ""),
        ["very long line not finished yet"] = (new string('x', 10 * Limit), [], ""),
        ["two long lines"] = (new string('x', 5 * Limit) + "\r\n" + new string('y', 5 * Limit) + "\r\nNOOP\r\n", ["TooLong", "TooLong", "Line NOOP"], ""),
    };

    public static TheoryData<string> ScenarioNames => new(Scenarios.Keys);

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void Frames_the_scenario_in_one_piece(string name)
    {
        var (input, expected, left) = Scenarios[name];

        var (seen, remaining) = Drain(Encoding.ASCII.GetBytes(input), []);

        Assert.Equal(expected, seen);
        Assert.Equal(left, remaining);
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void Frames_the_scenario_however_it_arrives(string name)
    {
        var (input, expected, _) = Scenarios[name];
        var bytes = Encoding.ASCII.GetBytes(input);

        Assert.Equal(expected, Drain(bytes, Enumerable.Range(1, bytes.Length).ToArray()).Seen);
        for (var split = 0; split <= bytes.Length; split++)
            Assert.Equal(expected, Drain(bytes, [split]).Seen);
    }

    [Theory]
    [InlineData("NOOP\r\n", Status.Line, 4, 6)]
    [InlineData("NOOP\r\nQUIT\r\n", Status.Line, 4, 6)]
    [InlineData("\r\n", Status.Line, 0, 2)]
    [InlineData("NOOP", Status.NeedMore, 0, 0)]
    [InlineData("NOOP\r", Status.NeedMore, 0, 0)]
    [InlineData("", Status.NeedMore, 0, 0)]
    [InlineData("NOOP\nQUIT\r\n", Status.BareNewline, 0, 5)]
    [InlineData("\nQUIT\r\n", Status.BareNewline, 0, 1)]
    [InlineData("NO\rOP\r\n", Status.BareNewline, 0, 3)]
    [InlineData("xxxxxxxxxxxxxxxxxxxxx\r\nQUIT\r\n", Status.TooLong, 0, 23)] // 21 octets
    public void Reports_status_line_length_and_bytes_consumed(string input, Status status, int length, int consumed)
    {
        var reader = new CommandLineReader(Limit);

        var actual = reader.Read(Encoding.ASCII.GetBytes(input), out var lineLength, out var used);

        Assert.Equal(status, actual);
        Assert.Equal(consumed, used);
        if (status == Status.Line) Assert.Equal(length, lineLength);
    }

    [Fact]
    public void A_long_line_is_consumed_while_skipped_so_it_is_never_buffered()
    {
        var reader = new CommandLineReader(Limit);

        Assert.Equal(Status.NeedMore, reader.Read(Encoding.ASCII.GetBytes(new string('x', 100)), out _, out var first));
        Assert.Equal(100, first);
        Assert.Equal(Status.NeedMore, reader.Read(Encoding.ASCII.GetBytes(new string('x', 100) + "\r"), out _, out var second));
        Assert.Equal(101, second);
        Assert.Equal(Status.TooLong, reader.Read("\nQUIT\r\n"u8, out _, out var third));
        Assert.Equal(1, third);
        Assert.Equal(Status.Line, reader.Read("QUIT\r\n"u8, out var length, out var fourth));
        Assert.Equal((4, 6), (length, fourth));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(512)]
    public void Random_pipelines_frame_the_same_in_any_chunking(int seed)
    {
        var random = new Random(seed);
        string[] pieces = ["NOOP\r\n", "QUIT\r\n", "\r\n", "x\n", "a\rb\r\n", new string('z', Limit), new string('z', Limit + 1) + "\r\n", "\r", "\n", "MAIL FROM:<a@b>\r\n"];
        for (var round = 0; round < 500; round++)
        {
            var input = string.Concat(Enumerable.Range(0, random.Next(1, 8)).Select(_ => pieces[random.Next(pieces.Length)]));
            var bytes = Encoding.ASCII.GetBytes(input);
            var whole = Drain(bytes, []).Seen;
            var splits = Enumerable.Range(0, random.Next(1, 6)).Select(_ => random.Next(bytes.Length + 1)).Order().ToArray();

            Assert.Equal(whole, Drain(bytes, splits).Seen);
            Assert.Equal(whole, Drain(bytes, Enumerable.Range(1, bytes.Length).ToArray()).Seen);
            // Only a complete CRLF line is ever a Line, and it never holds a CR or LF.
            Assert.All(whole.Where(s => s.StartsWith("Line ")), s => Assert.DoesNotContain(s, c => c is '\r' or '\n'));
        }
    }

    /// <summary>Feeds the bytes cut at <paramref name="splits"/>, keeping what was not consumed, as the session does.</summary>
    private static (List<string> Seen, string Left) Drain(byte[] bytes, int[] splits)
    {
        var reader = new CommandLineReader(Limit);
        var seen = new List<string>();
        var buffer = new List<byte>();
        var start = 0;
        foreach (var end in splits.Append(bytes.Length))
        {
            if (end < start) continue;
            buffer.AddRange(bytes[start..end]);
            start = end;
            while (true)
            {
                var input = buffer.ToArray();
                var status = reader.Read(input, out var length, out var consumed);
                Assert.InRange(consumed, 0, input.Length);
                if (status == Status.Line) seen.Add("Line " + Encoding.ASCII.GetString(input, 0, length));
                else if (status != Status.NeedMore) seen.Add(status.ToString());
                buffer.RemoveRange(0, consumed);
                if (status == Status.NeedMore) break;
                Assert.True(consumed > 0, "a verdict always consumes its line");
            }
        }
        return (seen, Encoding.ASCII.GetString(buffer.ToArray()));
    }
}
