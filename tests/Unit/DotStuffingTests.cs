using System.Buffers;
using System.Text;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Cluster.Outbound;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// Outbound DATA content (RFC 5321 §4.5.2): a "." before every line that starts with ".", and a
/// final CRLF so that the caller's "." line ends the data and never joins the last line.
/// </summary>
public sealed class DotStuffingTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("a\r\n", "a\r\n")]
    [InlineData(".\r\n", "..\r\n")]
    [InlineData(".a\r\n", "..a\r\n")]
    [InlineData("..a\r\n", "...a\r\n")]
    [InlineData("a.b\r\n", "a.b\r\n")]
    [InlineData("a.\r\n", "a.\r\n")]
    [InlineData("a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n")]
    [InlineData(".a\r\n.b\r\n.c\r\n", "..a\r\n..b\r\n..c\r\n")]
    [InlineData("\r\n.\r\n", "\r\n..\r\n")]
    [InlineData(" .a\r\n", " .a\r\n")]
    // Content that does not end in CRLF gets one, or the terminator would join the last line.
    [InlineData("a", "a\r\n")]
    [InlineData(".", "..\r\n")]
    [InlineData("a\r\n.", "a\r\n..\r\n")]
    [InlineData("a\r", "a\r\r\n")]
    [InlineData("a\n", "a\n\r\n")]
    // A dot after a bare LF is stuffed too, so a next hop that takes LF for a line end never
    // sees "LF . CRLF" as the end of data.
    [InlineData("a\n.\r\n", "a\n..\r\n")]
    public void Stuffs(string message, string expected)
    {
        var output = new ArrayBufferWriter<byte>();

        DotStuffing.Write(Encoding.ASCII.GetBytes(message), output);

        Assert.Equal(expected, Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".\r\n")]
    [InlineData("a\r\n.\r\n")]
    [InlineData(".\r\n.\r\n.\r\n")]
    [InlineData("..\r\n")]
    [InlineData("Subject: x\r\n\r\n.\r\n..\r\n...\r\n")]
    public void The_stuffed_content_never_contains_an_end_of_data(string message)
    {
        var output = new ArrayBufferWriter<byte>();

        DotStuffing.Write(Encoding.ASCII.GetBytes(message), output);
        var wire = "\r\n" + Encoding.ASCII.GetString(output.WrittenSpan); // DATA starts at a line start

        Assert.DoesNotContain("\r\n.\r\n", wire);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    public void Random_messages_survive_stuffing_and_reading_back(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 500; round++)
        {
            var message = new StringBuilder();
            for (var line = random.Next(0, 10); line > 0; line--)
                message.Append(random.Next(3) == 0 ? "." : "").Append(new string('.', random.Next(0, 3)))
                    .Append(new string('m', random.Next(0, 5))).Append("\r\n");
            var endsOpen = random.Next(4) == 0;
            if (endsOpen) message.Append('.', random.Next(1, 3)).Append('z');
            var original = Encoding.ASCII.GetBytes(message.ToString());
            var wire = new ArrayBufferWriter<byte>();
            DotStuffing.Write(original, wire);
            wire.Write(".\r\n"u8);

            var read = new ArrayBufferWriter<byte>();
            var reader = new DataReader(read, long.MaxValue);
            var consumed = reader.Feed(wire.WrittenSpan);

            Assert.True(reader.Complete);
            Assert.Equal(wire.WrittenCount, consumed);
            // An open last line comes back with the CRLF it was given.
            Assert.Equal(message + (endsOpen ? "\r\n" : ""), Encoding.ASCII.GetString(read.WrittenSpan));
        }
    }
}
