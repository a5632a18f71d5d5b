using System.Net;
using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 13, item 3: a client that pipelines command after command and never reads our replies
/// fills the socket buffers until the session's write waits; while it waits no read is
/// outstanding, so the receive timeout cannot fire. The write has a timeout of its own (the
/// command timeout, 2 s here; 5 min by default, the same code path): the session is closed and
/// the mail log says why. Before, such a session was held forever.
/// </summary>
public sealed class ClientThatNeverReads(ClientThatNeverReads.Fixture fixture) : IClassFixture<ClientThatNeverReads.Fixture>
{
    public sealed class Fixture() : IngressFixture("tunnel.smtp { command-timeout = 2s }");

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task Is_disconnected_once_our_replies_cannot_be_written(AddressFamily family)
    {
        var endpoint = fixture.Node.Smtp(family);
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(endpoint);
        var local = (IPEndPoint)socket.LocalEndPoint!;
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var noops = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("NOOP\r\n", 10_000)));

        // Send NOOPs until the node stops taking them (its write waits, so it reads no more) or
        // closes the connection; never read a byte.
        var flood = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested) await socket.SendAsync(noops, SocketFlags.None, stop.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException) { }
        });

        var literal = family == AddressFamily.InterNetwork ? $"[{local.Address}]" : $"[IPv6:{local.Address}]";
        await Eventually.Until(() => fixture.Node.Node.MailLog.Lines.Any(l => l.Contains($"disconnect from {literal}: write timeout")),
            TimeSpan.FromSeconds(60), "the session to be closed for not reading its replies");

        // Closed by the node: what is left of the replies, then the end (or a reset, since we never read).
        var buffer = new byte[64 * 1024];
        await Eventually.Until(async () =>
        {
            try
            {
                return await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token) == 0;
            }
            catch (SocketException)
            {
                return true;
            }
        }, TimeSpan.FromSeconds(30), "the connection to end");
        stop.Cancel();
        await flood;
    }
}
