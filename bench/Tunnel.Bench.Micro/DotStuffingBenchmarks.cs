using System.Buffers;
using BenchmarkDotNet.Attributes;
using Tunnel.Cluster.Outbound;

namespace Tunnel.Bench.Micro;

/// <summary>A spooled message written as DATA content for the next hop (every eighth line gets a dot).</summary>
[MemoryDiagnoser]
public class DotStuffingBenchmarks
{
    private byte[] _message = [];
    private ArrayBufferWriter<byte> _output = new();

    [Params(1024, 100 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _message = Wire.Message(Size);
        _output = new ArrayBufferWriter<byte>(Size + Size / 32 + 8);
    }

    [Benchmark]
    public int Write()
    {
        _output.ResetWrittenCount();
        DotStuffing.Write(_message, _output);
        return _output.WrittenCount;
    }
}
