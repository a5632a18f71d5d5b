using BenchmarkDotNet.Attributes;
using Tunnel.Cluster.Ingress.Protocol;

namespace Tunnel.Bench.Micro;

/// <summary>The command lines of one transaction as a sending MTA writes them, parsed one by one.</summary>
[MemoryDiagnoser]
public class SmtpCommandParserBenchmarks
{
    [Params(
        "EHLO mail.ip4only.example",
        "MAIL FROM:<alice@ip4only.example> SIZE=1024 BODY=8BITMIME",
        "RCPT TO:<user0000001234@d003.bench.test>",
        "DATA")]
    public string Line { get; set; } = "";

    [Benchmark]
    public SmtpCommand Parse() => SmtpCommandParser.Parse(Line);
}
