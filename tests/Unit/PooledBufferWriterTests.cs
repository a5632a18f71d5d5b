using System.Buffers;
using Tunnel.Cluster.Ingress.Protocol;
using Xunit;

namespace Tunnel.Tests.Unit;

public sealed class PooledBufferWriterTests
{
    [Fact]
    public void Keeps_every_byte_written_across_growth()
    {
        using var writer = new PooledBufferWriter(16);
        var expected = new List<byte>();
        for (var line = 0; line < 1000; line++)
        {
            var bytes = System.Text.Encoding.ASCII.GetBytes($"line {line} of a message that grows past its first buffer\r\n");
            writer.Write(bytes);
            expected.AddRange(bytes);
        }

        Assert.Equal(expected.ToArray(), writer.WrittenSpan.ToArray());
        Assert.Equal(expected.Count, writer.WrittenCount);
    }

    [Fact]
    public void A_size_hint_gets_at_least_that_much_room()
    {
        using var writer = new PooledBufferWriter(16);
        writer.Write("abc"u8);

        Assert.True(writer.GetSpan(100_000).Length >= 100_000);
        Assert.Equal("abc"u8.ToArray(), writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Disposed_it_is_empty_and_advancing_past_the_room_is_refused()
    {
        var writer = new PooledBufferWriter(16);
        writer.Write("abc"u8);
        writer.Dispose();

        Assert.Equal(0, writer.WrittenCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(1));
    }
}
