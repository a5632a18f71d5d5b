using System.Buffers;
using System.Text;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Cluster.Outbound;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// Issue 16: the per-byte paths of a message allocate nothing per line or per read once their
/// output buffer exists.
/// DATA is unstuffed by <see cref="DataReader.Feed"/> on the way in and stuffed again by
/// <see cref="DotStuffing.Write"/> on the way out; an allocation per line or per read there would
/// grow with the message and show as GC time under load. Measured with the thread's own
/// allocation counter around a run that has already been warmed (JIT and tiering allocate too).
/// Their speed is bench/Tunnel.Bench.Micro's (BenchmarkDotNet), not a timed test's.
/// </summary>
public sealed class HotPathAllocationTests
{
    [Theory]
    [InlineData(1024)]
    [InlineData(100 * 1024)]
    public void Dot_stuffing_a_message_allocates_its_enumerator_and_nothing_per_line(int size)
    {
        var message = Message(size);
        var output = new ArrayBufferWriter<byte>(size + size / 32 + 8);
        void Write()
        {
            output.ResetWrittenCount();
            foreach (var piece in DotStuffing.Pieces(message)) output.Write(piece.Span); // as SmtpSender writes them
        }

        const int runs = 50;
        // One iterator per message (about 80 bytes); 100 KiB has some 1,300 lines, 160 of them dotted.
        Assert.InRange(AllocatedBy(Write, runs) / runs, 0, 128);
        Assert.True(output.WrittenCount > size); // every eighth line got its dot
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(100 * 1024)]
    public void Reading_the_data_of_a_message_allocates_nothing_but_its_reader(int size)
    {
        var message = Message(size);
        var wire = Stuffed(message);
        var output = new ArrayBufferWriter<byte>(size + 1024);
        var readers = new DataReader[64];
        var next = 0;
        for (var i = 0; i < readers.Length; i++) readers[i] = new DataReader(output, 35 * 1024 * 1024);
        void Feed()
        {
            output.ResetWrittenCount();
            var reader = readers[next++];
            for (var offset = 0; !reader.Complete;)
                offset += reader.Feed(wire.AsSpan(offset, Math.Min(16 * 1024, wire.Length - offset)));
        }

        Assert.Equal(0, AllocatedBy(Feed, runs: 20)); // each run takes a fresh reader from those made beforehand
        Assert.All(readers.Take(next), r => Assert.Equal(message.Length, r.Size));
        Assert.True(output.WrittenSpan.SequenceEqual(message));
    }

    /// <summary>Bytes the current thread allocated in <paramref name="runs"/> calls, after as many calls to warm up.</summary>
    private static long AllocatedBy(Action action, int runs = 50)
    {
        for (var i = 0; i < runs; i++) action();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < runs; i++) action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static byte[] Message(int size)
    {
        var text = new StringBuilder(size + 80);
        text.Append("From: <a@src.example>\r\nTo: <user@example.com>\r\nSubject: allocation\r\n\r\n");
        for (var line = 0; text.Length < size; line++)
            text.Append(line % 8 == 7 ? "." : "").Append($"line {line:00000} ").Append('x', 66).Append("\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static byte[] Stuffed(byte[] content)
    {
        var output = new ArrayBufferWriter<byte>(content.Length + content.Length / 32 + 8);
        DotStuffing.Write(content, output);
        output.Write(".\r\n"u8);
        return output.WrittenSpan.ToArray();
    }
}
