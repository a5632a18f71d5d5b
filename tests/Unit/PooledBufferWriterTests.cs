using System.Buffers;
using Tunnel.Cluster.Ingress;
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

    [Fact]
    public void Every_buffer_is_paid_from_the_budget_and_paid_back_on_dispose()
    {
        var budget = new ContentBudget(1 << 20);
        var writer = new PooledBufferWriter(4096, budget);
        writer.Write(new byte[10_000]);

        Assert.Equal(16_384, budget.Reserved); // the pool's power of two, not the 10,000 written
        writer.Write(new byte[10_000]);
        Assert.Equal(32_768, budget.Reserved);

        writer.Dispose();
        Assert.Equal(0, budget.Reserved);
    }

    [Fact]
    public void When_the_budget_cannot_pay_the_content_is_dropped_and_the_writer_says_so()
    {
        var budget = new ContentBudget(64 * 1024);
        using var other = new PooledBufferWriter(4096, budget);
        other.Write(new byte[40_000]); // another session holds 64 KiB of it
        var writer = new PooledBufferWriter(4096, budget);

        writer.Write(new byte[5_000]);
        Assert.True(writer.OutOfBudget);
        Assert.Equal(0, writer.WrittenCount);
        writer.Write(new byte[100_000]); // still taken, still dropped
        Assert.Equal(0, writer.WrittenCount);
        Assert.Equal(64 * 1024, budget.Reserved);

        writer.Dispose();
        other.Dispose();
        Assert.Equal(0, budget.Reserved);
    }
}
