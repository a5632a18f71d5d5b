using System.Net;
using System.Net.Sockets;
using Tunnel.Node;
using Tunnel.Node.Configuration;

namespace Tunnel.Tests.Testing;

/// <summary>
/// A real Tunnel node inside the test process: real sockets, real SQLite in a temporary
/// directory, a cluster of one on a free port. The test's HOCON is layered over the
/// repository's cluster.hocon exactly as an operator's file would be.
/// </summary>
public sealed class InProcessNode : IAsyncDisposable
{
    private InProcessNode(TunnelNode node, string dataDirectory, MailLogRecorder mailLog)
    {
        Node = node;
        DataDirectory = dataDirectory;
        MailLog = mailLog;
    }

    public TunnelNode Node { get; }
    public string DataDirectory { get; }
    public MailLogRecorder MailLog { get; }

    public IPEndPoint Smtp(AddressFamily family) => Node.SmtpEndpoints.First(e => e.AddressFamily == family);

    /// <summary>The admin endpoint as the CLI's --node takes it ("127.0.0.1:41234"); a free port unless the test chose one.</summary>
    public string Admin => Node.Admin is { } admin ? $"{admin.EndPoint}" : throw new InvalidOperationException("the admin endpoint is off");

    public static async Task<InProcessNode> StartAsync(string hocon)
    {
        var data = Directory.CreateTempSubdirectory("tunnel-test-").FullName;
        var overlay = $$"""
            tunnel.admin.listen = "127.0.0.1:0"
            {{hocon}}
            tunnel.storage.sqlite.path = {{ConfigLoader.Quote(data)}}
            tunnel.cluster.port = 0
            akka.loglevel = WARNING
            """;
        var config = ConfigLoader.Overlay(overlay, ConfigLoader.Load(null, _ => null));
        var mailLog = new MailLogRecorder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var node = await TunnelNode.StartAsync(SettingsReader.Read(config), config, mailLog, timeout.Token);
        return new InProcessNode(node, data, mailLog);
    }

    public async ValueTask DisposeAsync()
    {
        await Node.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await Node.Terminated.WaitAsync(TimeSpan.FromSeconds(30));
        try { Directory.Delete(DataDirectory, recursive: true); }
        catch (IOException) { /* SQLite may hold the file a moment longer; it is a temp dir */ }
    }
}
