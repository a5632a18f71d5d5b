using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Tunnel.Cluster.Ingress.Protocol;

namespace Tunnel.Bench.Micro;

/// <summary>
/// One message's DATA phase as the session feeds it: the wire bytes (every eighth line
/// dot-stuffed, ending in CRLF "." CRLF) in 16 KiB reads, unstuffed into a buffer.
/// </summary>
[MemoryDiagnoser]
public class DataReaderBenchmarks
{
    private const int ReadSize = 16 * 1024; // SmtpSession's read buffer
    private byte[] _wire = [];
    private ArrayBufferWriter<byte> _output = new();

    [Params(1024, 100 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _wire = Wire.Stuffed(Wire.Message(Size), terminate: true);
        _output = new ArrayBufferWriter<byte>(Size + 1024);
    }

    [Benchmark]
    public long Feed()
    {
        _output.ResetWrittenCount();
        var reader = new DataReader(_output, 35 * 1024 * 1024);
        for (var offset = 0; !reader.Complete;)
            offset += reader.Feed(_wire.AsSpan(offset, Math.Min(ReadSize, _wire.Length - offset)));
        return reader.Size;
    }
}

/// <summary>Test messages shaped like the load generator's: 78-character lines, every eighth starting with a dot.</summary>
internal static class Wire
{
    public static byte[] Message(int size)
    {
        var text = new StringBuilder(size + 80);
        text.Append("From: <bench@src.bench.test>\r\nTo: <user@d000.bench.test>\r\nSubject: micro\r\n\r\n");
        for (var line = 0; text.Length < size; line++)
            text.Append(line % 8 == 7 ? "." : "").Append($"line {line:00000} ").Append('x', 66).Append("\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    public static byte[] Stuffed(byte[] content, bool terminate)
    {
        var output = new ArrayBufferWriter<byte>(content.Length + content.Length / 32 + 8);
        Tunnel.Cluster.Outbound.DotStuffing.Write(content, output);
        if (terminate) output.Write(".\r\n"u8);
        return output.WrittenSpan.ToArray();
    }
}
