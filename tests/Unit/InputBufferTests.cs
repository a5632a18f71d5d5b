using System.Text;
using Tunnel.Cluster.Ingress;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>The session's input buffer: bytes come out in order, whatever the reads' sizes, and an empty buffer holds no memory.</summary>
public sealed class InputBufferTests
{
    [Fact]
    public void An_empty_buffer_holds_no_memory()
    {
        var buffer = new InputBuffer(16 * 1024);
        Assert.Equal(0, buffer.Capacity);
        buffer.Append("NOOP\r\n"u8);
        Assert.True(buffer.Capacity >= 16 * 1024);
        buffer.Consume(6);
        Assert.True(buffer.IsEmpty);
        Assert.Equal(0, buffer.Capacity);
    }

    [Fact]
    public void Unconsumed_bytes_stay_in_order_across_appends_and_growth()
    {
        var buffer = new InputBuffer(8);
        var expected = new StringBuilder();
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var piece = new string((char)('a' + i % 26), random.Next(1, 40));
            buffer.Append(Encoding.ASCII.GetBytes(piece));
            expected.Append(piece);
            var take = random.Next(0, buffer.Unread.Length + 1);
            Assert.Equal(expected.ToString(0, take), Encoding.ASCII.GetString(buffer.Unread[..take]));
            buffer.Consume(take);
            expected.Remove(0, take);
            Assert.Equal(expected.ToString(), Encoding.ASCII.GetString(buffer.Unread));
        }
    }

    [Fact]
    public void Clear_forgets_the_unread_bytes()
    {
        var buffer = new InputBuffer(16);
        buffer.Append("STARTTLS\r\nMAIL FROM:<evil@example>\r\n"u8);
        buffer.Consume(10);
        buffer.Clear();
        Assert.True(buffer.IsEmpty);
        Assert.Equal(0, buffer.Capacity);
    }

    [Fact]
    public void Consuming_more_than_there_is_is_a_bug()
    {
        var buffer = new InputBuffer(16);
        buffer.Append("abc"u8);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Consume(4));
    }
}
